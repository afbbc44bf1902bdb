"""Each seeded fault, alone on the clean reference stack, fails exactly the tests it declares,
across all four gates and both sides; every other test of the run passes.

One deploy switches the stack from one fault to the next (`Testbed.up(faults=[name])` removes the
previous fault and applies the next), then one run of every gate. A collateral failure cannot hide
behind another fault's expected failure: no two faults share a run. The matrix (fault x control)
is written to reports/selftest/exclusivity-matrix.txt (and .json) after every fault, and printed at
the end of the self-test session. No credential of the instance, nor any value a fault plants,
appears in any run's output or evidence bundle.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from nestgate.catalog import CONTROLS, GATES
from nestgate.testbed.faults import ALL
from selftest.gaterun import ROOT, GateRun, run_gates
from selftest.matrix.expectations import EXPECTED
from selftest.matrix.table import Row, write

ARTIFACT_DIR = ROOT / "reports" / "selftest"
ROWS: dict[str, Row] = {}
CONTROL_IDS = list(CONTROLS)


def _name(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[-1]


def _control_of(test_name: str) -> str:
    return re.search(r"\[([A-Z]{3}-\d\d)", test_name).group(1)


def _failed(run: GateRun) -> dict[str, str]:
    return {_name(o.nodeid): o.message for o in run.outcomes.values() if o.outcome != "passed"}


def _credentials(tb, fault: str) -> list[str]:
    from nestgate.testbed.faults.secrets import FAULTS as PLANTING
    from nestgate.testbed.faults.secrets import planted

    # postgres_db and postgres_user hold identifiers ("medianest"), not credentials.
    values = [p.read_text().strip() for p in (tb.state_dir / "secrets").iterdir()
              if p.name not in ("postgres_db", "postgres_user")]
    return values + [planted(tb.instance, f.name) for f in PLANTING if f.name == fault]


def _leaks(run: GateRun, bundle: Path, values: list[str]) -> list[tuple[str, str]]:
    texts = {"output": run.output, **{str(p): p.read_bytes().decode("utf-8", "replace")
                                      for p in bundle.rglob("*") if p.is_file()}}
    return [(where, f"value #{i}") for where, text in texts.items() for i, v in enumerate(values) if v in text]


def test_every_fault_is_in_the_matrix_with_tests_of_its_declared_controls():
    """The guard: a fault no self-test applies fails the suite (the matrix applies each fault of the
    registry, every gate's); each expected test belongs to a control the fault declares, and each
    declared control has an expected test."""
    assert set(EXPECTED) == set(ALL), {"not in the matrix": set(ALL) - set(EXPECTED),
                                       "not a fault": set(EXPECTED) - set(ALL)}
    for name, fault in ALL.items():
        assert {_control_of(t) for t in EXPECTED[name].tests} == set(fault.controls), name
        assert all(reason.strip() for reason in fault.also.values()), f"{name}: `also` without a reason"
    assert {f.control[:3] for f in ALL.values()} == {"SEC", "BLD", "PRF", "INF"}


@pytest.fixture(scope="module")
def clean_names(matrix_testbed) -> set[str]:
    matrix_testbed.up(faults=[])
    run = run_gates([], matrix_testbed.config_path)
    for gate in GATES:
        run.assert_go(gate)
    return {_name(o.nodeid) for o in run.outcomes.values()}


def test_the_clean_stack_is_go_on_every_gate(clean_names):
    assert {_control_of(n) for n in clean_names} == set(CONTROLS)  # every control has its tests


@pytest.mark.parametrize("fault", list(ALL))
def test_fault_alone_fails_exactly_its_declared_tests(fault, matrix_testbed, clean_names, tmp_path):
    tb, expect, declared = matrix_testbed, EXPECTED.get(fault), ALL[fault].controls
    started = time.monotonic()
    tb.up(faults=[fault])
    bundle = tmp_path / "bundle"
    run = run_gates([f"--nestgate-report={bundle}"], tb.config_path)
    failed = _failed(run)
    ROWS[fault] = Row(fault, sorted(declared), {t: m.splitlines()[0][:300] for t, m in failed.items()},
                      sorted({_control_of(t) for t in failed}), round(time.monotonic() - started, 1))
    write([ROWS[f] for f in ALL if f in ROWS], CONTROL_IDS, ARTIFACT_DIR)

    assert expect is not None, f"{fault}: no expectation in selftest/matrix/expectations.py; observed {failed}"
    # Every clean test ran; a fault that adds a service (host-network) adds its subjects' tests, as every
    # service of the compose model is judged: those must pass unless the expectation lists them.
    assert clean_names <= {_name(o.nodeid) for o in run.outcomes.values()}, "not every gate test ran"
    assert set(failed) == set(expect.tests), {
        "collateral": {t: failed[t][:400] for t in set(failed) - set(expect.tests)},
        "expected but passed": sorted(set(expect.tests) - set(failed))}
    text = " | ".join(failed[t] for t in expect.tests)
    for fragment in expect.fragments:
        assert fragment.format(i=tb.instance) in text, f"{fault}: {fragment!r} not in {text[:3000]!r}"
    assert all(failed[t].startswith(f"{_control_of(t)}: ") for t in expect.tests), text[:3000]
    assert "Traceback" not in run.output
    gates_hit = {CONTROLS[c].gate for c in declared}
    for gate in GATES:
        verdict = "NO-GO" if gate in gates_hit else "GO"
        assert re.search(rf"^{gate}\s+{verdict}\s", run.output, re.MULTILINE), (gate, verdict, run.output[-3000:])
    assert run.returncode == 1
    assert not _leaks(run, bundle, _credentials(tb, fault))


def test_the_matrix_covers_every_fault_and_is_written():
    """Runs last in this module: every fault has its row, and the table is on disk for CI to keep."""
    assert [f for f in ALL if f not in ROWS] == [], "faults with no matrix row (their run did not happen)"
    table = (ARTIFACT_DIR / "exclusivity-matrix.txt").read_text(encoding="utf-8")
    assert all(f"\n{name} " in table for name in ALL)
    print("\n" + table)
