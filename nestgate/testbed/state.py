"""The instance's state file (state.json): port, applied faults, image tags, timings."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class State:
    instance: str
    port: int
    faults: list[str] = field(default_factory=list)
    scale: int = 0
    images: dict[str, str] = field(default_factory=dict)
    project_hash: str = ""
    # Per fault: whatever its remove step needs (e.g. the config value it replaced).
    fault_data: dict[str, dict] = field(default_factory=dict)
    # Per service: the hash of the spec last deployed (compose.service_hash).
    deployed: dict[str, str] = field(default_factory=dict)
    # Per service: digest of the spec the engine reported after our last change. A different
    # digest means the service was changed behind this state's back (an interrupted run, another
    # process, a manual `docker service update`): it is redeployed rather than trusted.
    running_specs: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def path(state_dir: Path) -> Path:
        return state_dir / "state.json"

    @classmethod
    def load(cls, state_dir: Path) -> State | None:
        try:
            raw = json.loads(cls.path(state_dir).read_text())
        except FileNotFoundError:
            return None
        return cls(**raw)

    def save(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path(state_dir).with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        os.replace(tmp, self.path(state_dir))
