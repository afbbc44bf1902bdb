"""What a control measured, against what threshold, from which source: the auditor's record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from nestgate.catalog import CONTROLS


def _plain(value: Any) -> Any:
    """JSON-friendly copy: evidence crosses xdist workers and lands in JSON and JUnit."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


@dataclass
class Evidence:
    control_id: str
    target: str
    measured: dict[str, Any] = field(default_factory=dict)
    threshold: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    started: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def measure(self, **values: Any) -> None:
        self.measured.update(_plain(values))

    def limit(self, **values: Any) -> None:
        self.threshold.update(_plain(values))

    def source(self, description: str) -> None:
        """The API call, command or file the facts came from (never a secret)."""
        if description not in self.sources:
            self.sources.append(description)

    def to_dict(self) -> dict[str, Any]:
        control = CONTROLS[self.control_id]
        return {
            "control_id": self.control_id,
            "gate": control.gate,
            "checklist_line": control.checklist_line,
            "target": self.target,
            "measured": self.measured,
            "threshold": self.threshold,
            "sources": self.sources,
            "timestamp": self.started,
        }
