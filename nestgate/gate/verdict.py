"""The gate verdict: GO only when every selected control passed (or is waived), and at least one ran.

Outcomes per test: passed, waived (failed, but an unexpired waiver covers its control), failed
(the check said no), error (setup/teardown broke, or the xdist worker running it crashed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import pytest

from nestgate.catalog import CONTROLS, GATES

# Worse outcomes win when a test reports several phases (setup, call, teardown).
_RANK = {"passed": 0, "waived": 1, "failed": 2, "error": 3}
# Every gate test ID carries its control: test_x[SEC-04[app]] or test_y[SEC-02].
_CONTROL_IN_ID = re.compile(r"\[(?P<cid>[A-Z]{3}-\d{2})[\[\]]")
WAIVER_PROP = "nestgate.waiver"
CONTROL_PROP = "nestgate.control"


def prop(report: pytest.TestReport, name: str) -> str | None:
    return next((str(v) for k, v in getattr(report, "user_properties", ()) if k == name), None)


def control_of_report(report: pytest.TestReport) -> str | None:
    """The control a report belongs to: its property, else its test ID (xdist crash reports
    carry no properties)."""
    cid = prop(report, CONTROL_PROP)
    if cid in CONTROLS:
        return cid
    found = _CONTROL_IN_ID.search(report.nodeid)
    return found["cid"] if found and found["cid"] in CONTROLS else None


def outcome_of(report: pytest.TestReport) -> str:
    if report.passed:
        return "passed"
    if report.skipped:
        # The plugin turns every gate-test skip into a failure or a waiver; anything else fails.
        return "waived" if prop(report, WAIVER_PROP) else "failed"
    return "failed" if report.when == "call" else "error"


def worst(a: str, b: str) -> str:
    return max(a, b, key=_RANK.__getitem__)


@dataclass
class GateTally:
    outcomes: dict[str, str] = field(default_factory=dict)  # nodeid -> outcome

    def add(self, report: pytest.TestReport) -> None:
        previous = self.outcomes.get(report.nodeid, "passed")
        self.outcomes[report.nodeid] = worst(previous, outcome_of(report))

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)

    @property
    def go(self) -> bool:
        return bool(self.outcomes) and all(o in ("passed", "waived") for o in self.outcomes.values())


def selected_gates(markexpr: str) -> set[str]:
    """Gates a -m expression selects by name: `-m "security and not slow"` -> {security}."""
    from _pytest.mark.expression import Expression

    from nestgate.catalog import SIDES

    if not markexpr.strip():
        return set()
    try:
        expr = Expression.compile(markexpr)
    except Exception:  # an invalid expression is pytest's usage error, reported by pytest
        return set()
    named = set(re.findall(r"[A-Za-z_]\w*", markexpr))
    return {g for g in GATES if g in named
            and any(expr.evaluate(lambda name, /, _n={g, s}, **_kw: name in _n) for s in SIDES)}


@dataclass(frozen=True)
class GateVerdict:
    gate: str
    go: bool
    counts: dict[str, int]
    reason: str  # why NO-GO, empty on GO

    def line(self) -> str:
        counts = ", ".join(f"{k} {self.counts[k]}" for k in ("passed", "failed", "errors", "waived"))
        why = f" [{self.reason}]" if self.reason else ""
        return f"{self.gate:<12} {'GO' if self.go else 'NO-GO':<6} {counts}{why}  ({GATES[self.gate]})"

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": "GO" if self.go else "NO-GO", **self.counts, "reason": self.reason}


def gate_verdicts(tallies: dict[str, GateTally], selected: set[str], complete: bool) -> list[GateVerdict]:
    out = []
    for gate in GATES:
        tally = tallies.get(gate)
        if tally is None and gate not in selected:
            continue
        tally = tally or GateTally()
        counts = {"passed": tally.count("passed"), "failed": tally.count("failed"),
                  "errors": tally.count("error"), "waived": tally.count("waived")}
        reason = ("no control ran" if not tally.outcomes else
                  "run did not complete" if not complete else
                  "" if tally.go else "not every control passed")
        out.append(GateVerdict(gate, not reason, counts, reason))
    return out


class VerdictPlugin:
    """Tallies gate test outcomes per gate; prints one line per gate (and the waivers) at the end;
    a gate the -m expression selects but no control of which ran fails the run."""

    def __init__(self, selected: set[str] | None = None) -> None:
        self.tallies: dict[str, GateTally] = {}
        self.selected = selected or set()
        self.waived: dict[str, str] = {}  # nodeid -> waiver summary
        self.notes: list[str] = []  # e.g. expired waivers, printed with the verdict
        self.complete = True

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        control = control_of_report(report)
        if control is None:
            return
        self.tallies.setdefault(CONTROLS[control].gate, GateTally()).add(report)
        waiver = prop(report, WAIVER_PROP)
        if waiver and report.skipped:
            w = json.loads(waiver)
            self.waived[report.nodeid] = f"{w['justification']} (owner {w['owner']}, expires {w['expires']})"

    def verdicts(self) -> list[GateVerdict]:
        return gate_verdicts(self.tallies, self.selected, self.complete)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        self.complete = exitstatus not in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        if session.exitstatus == pytest.ExitCode.OK and not all(v.go for v in self.verdicts()):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # fail closed: a NO-GO never exits 0
        yield

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        verdicts = self.verdicts()
        if not verdicts and not self.notes:
            return
        terminalreporter.section("nestgate verdict")
        for v in verdicts:
            terminalreporter.write_line(v.line())
        for nodeid, summary in sorted(self.waived.items()):
            terminalreporter.write_line(f"  waived {nodeid}: {summary}")
        for note in self.notes:
            terminalreporter.write_line(f"  {note}")
