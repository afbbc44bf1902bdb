"""The gate verdict: GO only when every control in scope ran, for every subject, and passed (or is
waived); the scope and what did not run come from nestgate.gate.coverage.

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
from nestgate.gate.coverage import LEDGER_OUTPUT, Ledger, Scope, not_run_count, scope_of, selected_sides, unrun

# Worse outcomes win when a test reports several phases (setup, call, teardown).
_RANK = {"passed": 0, "waived": 1, "failed": 2, "error": 3}
# Every gate test ID carries its control: test_x[SEC-04[app]] or test_y[SEC-02].
_CONTROL_IN_ID = re.compile(r"\[(?P<cid>[A-Z]{3}-\d{2})[\[\]]")
WAIVER_PROP = "nestgate.waiver"
WAIVERS_USED_PROP = "nestgate.waivers_used"  # waivers a control used itself (SEC-01's finding waivers)
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
    return set(selected_sides(markexpr))


@dataclass(frozen=True)
class GateVerdict:
    gate: str
    go: bool
    counts: dict[str, int]
    reason: str  # why NO-GO, empty on GO
    coverage: str = "full"  # or the coverage mode: "declared side only", "controls INF-04 only"

    def line(self) -> str:
        counts = ", ".join(f"{k.replace('_', ' ')} {self.counts[k]}" for k in self.counts)
        word = "NO-GO" if not self.go else "GO" if self.coverage == "full" else f"GO, {self.coverage}"
        why = f" [{self.reason}]" if self.reason else ""
        return f"{self.gate:<12} {word:<6} {counts}{why}  ({GATES[self.gate]})"

    def to_dict(self) -> dict[str, Any]:
        return {"verdict": "GO" if self.go else "NO-GO", **self.counts, "coverage": self.coverage,
                "reason": self.reason}


@dataclass
class RunFacts:
    """What the verdict needs besides the outcomes: the scope, the ledger, what reported."""

    scope: Scope
    ledger: Ledger
    reported: set[str] = field(default_factory=set)  # node IDs with a call report or a failure
    why_not_run: str = "did not run"
    complete: bool = True


def gate_verdicts(tallies: dict[str, GateTally], facts: RunFacts) -> list[GateVerdict]:
    out = []
    for gate in GATES:
        tally = tallies.get(gate)
        if tally is None and gate not in facts.scope.sides:
            continue
        tally = tally or GateTally()
        missing = unrun(facts.scope, gate, facts.ledger, facts.reported, facts.why_not_run)
        counts = {"passed": tally.count("passed"), "failed": tally.count("failed"),
                  "errors": tally.count("error"), "waived": tally.count("waived"),
                  "not_run": not_run_count(facts.scope, gate, facts.ledger, facts.reported)}
        reason = ("no control ran" if not tally.outcomes else
                  "run did not complete" if not facts.complete else
                  "" if tally.go else "not every control passed")
        if missing:
            reason = "; ".join(r for r in (reason, "incomplete: " + "; ".join(missing)) if r)
        out.append(GateVerdict(gate, not reason, counts, reason, facts.scope.label(gate)))
    return out


class VerdictPlugin:
    """Tallies gate test outcomes per gate; prints one line per gate, with its coverage and the
    waivers used, at the end. A gate is GO only when its whole scope ran (nestgate.gate.coverage)."""

    def __init__(self, markexpr: str = "", controls: set[str] | None = None, ledger: Ledger | None = None) -> None:
        self.markexpr = markexpr
        self.controls = controls
        self.selected = selected_gates(markexpr)
        self.tallies: dict[str, GateTally] = {}
        self.ledger = ledger or Ledger()
        self.reported: set[str] = set()
        self.waivers_used: list[dict[str, Any]] = []  # every waiver that waived something
        self.notes: list[str] = []  # e.g. expired waivers, printed with the verdict
        self.why_not_run = "did not run"
        self.complete = True

    # -- the ledger: filled by collection here, or by the xdist workers ----------------------
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        # An xdist controller collects nothing: the workers' ledgers must arrive, or no GO.
        self.ledger.received = not session.config.pluginmanager.has_plugin("dsession")
        option = session.config.option
        if getattr(option, "setuponly", False) or getattr(option, "setupplan", False):
            self.why_not_run = "did not run (--setup-only/--setup-plan run no test body)"
        elif getattr(option, "collectonly", False):
            self.why_not_run = "did not run (--collect-only)"

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.ledger.deselected |= {i.nodeid for i in items}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        data = getattr(node, "workeroutput", {}).get(LEDGER_OUTPUT)
        if data:
            self.ledger.merge(json.loads(data))

    # -- outcomes ---------------------------------------------------------------------------
    def gate_control(self, report: pytest.TestReport) -> str | None:
        """The control of a gate test's report; None for any other test. A report without the
        control property counts only when its test ID is one the gate generated, or it is xdist's
        report of a crashed worker (when "???", which names the test it was running): `test_x[SEC-01]`
        of some other suite is not a gate test."""
        control = control_of_report(report)
        if control is None or prop(report, CONTROL_PROP) is not None:
            return control
        return control if report.nodeid in self.ledger.generated or report.when == "???" else None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        control = self.gate_control(report)
        if control is None:
            return
        self.tallies.setdefault(CONTROLS[control].gate, GateTally()).add(report)
        if report.when == "call" or not report.passed:
            self.reported.add(report.nodeid)
        waiver = prop(report, WAIVER_PROP)
        if waiver and report.skipped:
            w = json.loads(waiver)
            self._used({**{k: w[k] for k in ("id", "owner", "justification", "expires", "line")},
                        "waived": report.nodeid})
        for w in json.loads(prop(report, WAIVERS_USED_PROP) or "[]"):
            self._used({**w, "waived": f"{w['waived']} ({report.nodeid})"})

    def _used(self, waiver: dict[str, Any]) -> None:
        if waiver not in self.waivers_used:
            self.waivers_used.append(waiver)

    def facts(self) -> RunFacts:
        scope = scope_of(self.markexpr, self.controls, self.ledger.gates() | set(self.tallies))
        return RunFacts(scope, self.ledger, self.reported, self.why_not_run, self.complete)

    def verdicts(self) -> list[GateVerdict]:
        return gate_verdicts(self.tallies, self.facts())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        config = session.config
        if hasattr(config, "workerinput"):
            config.workeroutput[LEDGER_OUTPUT] = json.dumps(self.ledger.to_json())  # type: ignore[attr-defined]
        self.complete = exitstatus not in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR)
        if (session.exitstatus == pytest.ExitCode.OK and not hasattr(config, "workerinput")
                and not all(v.go for v in self.verdicts())):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # fail closed: a NO-GO never exits 0
        yield

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        verdicts = self.verdicts()
        if not verdicts and not self.notes:
            return
        terminalreporter.section("nestgate verdict")
        for v in verdicts:
            # Only the word is coloured, through pytest's own markup: --color and NO_COLOR apply.
            line, word = v.line(), "GO" if v.go else "NO-GO"
            at = len(f"{v.gate:<12} ")
            terminalreporter.ensure_newline()
            terminalreporter.write(line[:at])
            terminalreporter.write(word, green=v.go, red=not v.go, bold=True)
            terminalreporter.line(line[at + len(word):])
        for w in self.waivers_used:
            terminalreporter.write_line(f"  waiver {w['id']} (line {w['line']}, owner {w['owner']}, expires "
                                        f"{w['expires']}: {w['justification']}) waived {w['waived']}")
        for note in self.notes:
            terminalreporter.write_line(f"  {note}")
