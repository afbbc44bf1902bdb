"""One gate run for the benchmarks: `pytest -m <expr>` in a subprocess, as a pipeline runs it, with
its evidence bundle in a scratch directory; the figures come back from that bundle's evidence.json."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
GATES = ["security", "build", "performance", "infra"]


@dataclass
class GateRun:
    wall_s: float
    exit_code: int
    verdicts: dict[str, bool]  # gate -> GO
    records: list[dict[str, Any]] = field(default_factory=list)
    load: float = 0.0  # 1-minute load average when the run ended

    @property
    def summary(self) -> str:
        verdicts = ", ".join(f"{g} {'GO' if go else 'NO-GO'}" for g, go in self.verdicts.items())
        return f"exit {self.exit_code}: {verdicts or 'no verdict'}"

    def control_seconds(self, control: str) -> float:
        """Test time of every test of one control (call phase, as the plugin records it)."""
        return sum(float(r.get("duration_s") or 0.0) for r in self.records if r.get("control_id") == control)

    def measured(self, control: str) -> list[dict[str, Any]]:
        return [r.get("measured") or {} for r in self.records if r.get("control_id") == control]


def run_gate(expr: str, config: Path, bundle: Path) -> GateRun:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", expr, "-q", "-p", "no:randomly",
                           f"--target-config={config}", f"--nestgate-bundle={bundle}"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    verdicts = {}
    for line in proc.stdout.splitlines():
        words = line.split()
        if len(words) > 1 and words[0] in GATES and words[1] in ("GO", "NO-GO"):
            verdicts[words[0]] = words[1] == "GO"
    try:
        records = json.loads((bundle / "evidence.json").read_text())["controls"]
    except (OSError, ValueError, KeyError):
        records = []  # the run's summary says why (exit code, no verdict)
    return GateRun(wall, proc.returncode, verdicts, records, os.getloadavg()[0])
