"""The gate verdict: GO only when every selected control passed, and at least one ran."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from nestgate.catalog import CONTROLS, GATES

# Worse outcomes win when a test reports several phases (setup, call, teardown).
_RANK = {"passed": 0, "failed": 2, "error": 3}


@dataclass
class GateTally:
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> passed/failed/error

    def add(self, report: pytest.TestReport) -> None:
        if report.passed:
            outcome = "passed"
        elif report.when == "call":
            outcome = "failed"
        else:
            outcome = "error"  # setup or teardown broke: the control did not run cleanly
        previous = self.outcomes.get(report.nodeid, "passed")
        self.outcomes[report.nodeid] = max(previous, outcome, key=_RANK.__getitem__)

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)

    @property
    def go(self) -> bool:
        return bool(self.outcomes) and all(o == "passed" for o in self.outcomes.values())


def tally_line(gate: str, tally: GateTally) -> str:
    verdict = "GO" if tally.go else "NO-GO"
    return (f"{gate:<12} {verdict:<6} passed {tally.count('passed')}, failed {tally.count('failed')},"
            f" errors {tally.count('error')}  ({GATES[gate]})")


class VerdictPlugin:
    """Tallies gate test outcomes per gate and prints one line per gate at the end."""

    def __init__(self) -> None:
        self.tallies: dict[str, GateTally] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        control = next((v for k, v in report.user_properties if k == "nestgate.control"), None)
        if control in CONTROLS:
            self.tallies.setdefault(CONTROLS[control].gate, GateTally()).add(report)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.tallies:
            return
        terminalreporter.section("nestgate verdict")
        for gate in GATES:
            if gate in self.tallies:
                terminalreporter.write_line(tally_line(gate, self.tallies[gate]))
