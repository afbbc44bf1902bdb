"""Verdict rules: which gates a -m expression selects, and when a gate is GO."""

import pytest

from nestgate.gate.verdict import GateTally, gate_verdicts, selected_gates


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


def _tally(*outcomes):
    t = GateTally()
    t.outcomes = {f"t{i}": o for i, o in enumerate(outcomes)}
    return t


def test_go_needs_every_control_passed_or_waived():
    [v] = gate_verdicts({"security": _tally("passed", "waived")}, set(), complete=True)
    assert v.go and v.counts == {"passed": 1, "failed": 0, "errors": 0, "waived": 1}
    [v] = gate_verdicts({"security": _tally("passed", "error")}, set(), complete=True)
    assert not v.go and v.reason == "not every control passed"


def test_a_selected_gate_with_no_control_is_no_go():
    [v] = gate_verdicts({}, {"build"}, complete=True)
    assert (v.gate, v.go, v.reason) == ("build", False, "no control ran")
    assert "NO-GO" in v.line() and "no control ran" in v.line()


def test_an_incomplete_run_is_no_go_even_if_all_passed():
    [v] = gate_verdicts({"infra": _tally("passed")}, set(), complete=False)
    assert not v.go and v.reason == "run did not complete"


def test_unselected_gates_without_tests_are_not_listed():
    assert [v.gate for v in gate_verdicts({"infra": _tally("passed")}, set(), True)] == ["infra"]
