"""Verdict rules: which gates and sides a -m expression selects, the run's scope, what did not run,
and when a gate is GO (every control of the catalog in scope ran on each of its sides and passed)."""

import pytest

from nestgate.catalog import controls_of
from nestgate.gate.coverage import Ledger, coverage_label, scope_of, selected_sides
from nestgate.gate.verdict import GateTally, RunFacts, gate_verdicts, selected_gates

BOTH = frozenset({"declared", "runtime"})


@pytest.mark.parametrize(("expr", "gates"), [
    ("", set()),
    ("security", {"security"}),
    ("security and not slow", {"security"}),
    ("security or build", {"build", "security"}),
    ("security and declared", {"security"}),
    ("not security", set()),
    ("infra and runtime or performance", {"infra", "performance"}),
    ("declared", set()),
])
def test_selected_gates(expr, gates):
    assert selected_gates(expr) == gates


@pytest.mark.parametrize(("expr", "sides"), [
    ("security", {"security": BOTH}),
    ("security and declared", {"security": {"declared"}}),
    ("security and not runtime", {"security": {"declared"}}),
    ("infra and runtime or performance", {"infra": {"runtime"}, "performance": BOTH}),
])
def test_selected_sides(expr, sides):
    assert selected_sides(expr) == sides


def _ledger(gate, skip=()):
    """Every (control, side) of the gate generated once, as test IDs name them."""
    ledger = Ledger()
    for c in controls_of(gate):
        for side in c.sides:
            if (c.id, side) not in skip and c.id not in skip:
                ledger.add(f"tests_{gate}/t.py::test_{side}[{c.id}]", c.id, side)
    return ledger


def _facts(expr, ledger, controls=None, reported=None, **kw):
    scope = scope_of(expr, controls, ledger.gates())
    reported = set(ledger.generated) if reported is None else reported
    return RunFacts(scope, ledger, reported, **kw)


def _tally(ledger, outcome="passed", **special):
    t = GateTally()
    t.outcomes = {n: special.get(n, outcome) for n in ledger.generated}
    return t


def test_go_needs_every_control_passed_or_waived():
    ledger = _ledger("security")
    first = next(iter(ledger.generated))
    [v] = gate_verdicts({"security": _tally(ledger, **{first: "waived"})}, _facts("security", ledger))
    assert v.go and v.counts == {"passed": 9, "failed": 0, "errors": 0, "waived": 1, "not_run": 0}
    assert v.coverage == "full" and v.line().startswith("security     GO     ")
    [v] = gate_verdicts({"security": _tally(ledger, **{first: "error"})}, _facts("security", ledger))
    assert not v.go and v.reason == "not every control passed"


def test_a_selected_gate_with_no_control_is_no_go():
    [v] = gate_verdicts({}, _facts("build", Ledger()))
    assert (v.gate, v.go) == ("build", False)
    assert v.reason.startswith("no control ran; incomplete: BLD-01 (declared) not collected; ")
    assert "NO-GO" in v.line() and "no control ran" in v.line()


def test_an_incomplete_run_is_no_go_even_if_all_passed():
    ledger = _ledger("infra")
    [v] = gate_verdicts({"infra": _tally(ledger)}, _facts("infra", ledger, complete=False))
    assert not v.go and v.reason == "run did not complete"


def test_unselected_gates_without_tests_are_not_listed():
    ledger = _ledger("infra")
    assert [v.gate for v in gate_verdicts({"infra": _tally(ledger)}, _facts("", ledger))] == ["infra"]


def test_a_control_never_collected_is_no_go_naming_it():
    ledger = _ledger("security", skip=[("SEC-04", "runtime"), "SEC-06"])
    [v] = gate_verdicts({"security": _tally(ledger)}, _facts("security", ledger))
    assert not v.go
    assert v.reason == "incomplete: SEC-04 (runtime) not collected; SEC-06 (runtime) not collected"


def test_deselected_and_unrun_subjects_are_named_apart():
    ledger = _ledger("security")
    ledger.add("tests_security/t.py::test_h[SEC-04[app]]", "SEC-04", "runtime")
    ledger.add("tests_security/t.py::test_h[SEC-04[db]]", "SEC-04", "runtime")
    ledger.deselected = {"tests_security/t.py::test_h[SEC-04[db]]"}
    ran = set(ledger.generated) - {"tests_security/t.py::test_h[SEC-04[db]]",
                                   "tests_security/t.py::test_runtime[SEC-02]"}
    tally = GateTally()
    tally.outcomes = dict.fromkeys(ran, "passed")
    [v] = gate_verdicts({"security": tally}, _facts("security", ledger, reported=ran, why_not_run="did not run (x)"))
    assert not v.go and v.counts["not_run"] == 2
    assert v.reason == "incomplete: did not run (x): SEC-02 (runtime); deselected: SEC-04[db] (runtime)"


def test_a_side_only_run_is_go_on_that_side_and_says_so():
    ledger = _ledger("security", skip=[("SEC-04", "runtime")])
    [v] = gate_verdicts({"security": _tally(ledger)}, _facts("security and declared", ledger))
    assert v.go and v.coverage == "declared side only"
    assert v.line().startswith("security     GO, declared side only ")


def test_a_control_selection_is_go_for_those_controls_and_says_so():
    ledger = _ledger("infra", skip=["INF-01"])
    [v] = gate_verdicts({"infra": _tally(ledger)}, _facts("infra", ledger, controls={"INF-04", "INF-06"}))
    assert v.go and v.coverage == "controls INF-04, INF-06 only"
    assert coverage_label("infra", {c.id for c in controls_of("infra")}, BOTH) == "full"


def test_no_ledger_from_the_xdist_workers_is_no_go():
    ledger = _ledger("security")
    ledger.received = False
    [v] = gate_verdicts({"security": _tally(ledger)}, _facts("security", ledger))
    assert not v.go and "no collection ledger came back from the xdist workers" in v.reason


def test_two_unrun_tests_of_one_control_and_subject_read_as_one_entry():
    ledger = _ledger("security")
    ledger.add("tests_security/u.py::test_other[SEC-02]", "SEC-02", "runtime")
    unrun_ids = {"tests_security/t.py::test_runtime[SEC-02]", "tests_security/u.py::test_other[SEC-02]"}
    ran = set(ledger.generated) - unrun_ids
    tally = GateTally()
    tally.outcomes = dict.fromkeys(ran, "passed")
    [v] = gate_verdicts({"security": tally}, _facts("security", ledger, reported=ran))
    assert v.counts["not_run"] == 2 and v.reason == "incomplete: did not run: SEC-02 (runtime)"
