"""What a control measured, against what threshold, from which source, and what its rules found:
the auditor's record. The failure message is derived from the recorded findings."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from nestgate.catalog import CONTROLS
from nestgate.rules.findings import Finding, Findings


class ControlFailed(AssertionError):
    """A control's check said no, outside an `assert` of the control file (a fixture's precondition)."""


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
    findings: Findings = field(default_factory=Findings)
    waivers: list[dict[str, Any]] = field(default_factory=list)  # waivers this control used
    started: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))

    def measure(self, **values: Any) -> None:
        self.measured.update(_plain(values))

    def limit(self, **values: Any) -> None:
        self.threshold.update(_plain(values))

    def source(self, description: str) -> None:
        """The API call, command or file the facts came from (never a secret)."""
        if description not in self.sources:
            self.sources.append(description)

    def waived(self, waiver_id: str, owner: str, justification: str, expires: str, line: int, what: str) -> None:
        """A waiver this control used (e.g. a CVE waiver of SEC-01): listed in the verdict and the evidence."""
        entry = {"id": waiver_id, "owner": owner, "justification": justification, "expires": expires,
                 "line": line, "waived": what}
        if entry not in self.waivers:
            self.waivers.append(entry)

    def judge(self, findings: Iterable[Finding]) -> Findings:
        """Record what the rules found; returns just these findings, for the control's assert:
        `assert not found, found.message`."""
        found = Findings(findings)
        self.findings.extend(found)
        return found

    def require(self, findings: Iterable[Finding]) -> None:
        """A precondition's findings: record them and fail the control now when there are any."""
        found = Findings(findings)
        if found:
            self.fail(*found)

    def fail(self, *findings: Finding) -> NoReturn:
        """Record the findings and fail the control now (a precondition that does not hold)."""
        raise ControlFailed(self.judge(findings).message)

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
            "findings": [_plain(f.to_dict()) for f in self.findings],
            "waivers_used": _plain(self.waivers),
            "timestamp": self.started,
        }
