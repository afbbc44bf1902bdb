"""SEC-06's rotation drill for real: with destructive drills allowed, jwt_secret goes from _v2 to
_v3 on the reference stack, the app converges healthy on _v3 and _v2 is gone. Afterwards the stack
is put back on _v2 (same value as before), so the other self-tests see the stack they expect.
Without the flag the drill only plans; a plan that cannot work fails.
"""

import json
import tomllib

import pytest

from nestgate.drills.rotation import remove_secret, rotate, swap_service_secret, users_of
from nestgate.probes import swarm_objects
from nestgate.probes.engine import Engine
from selftest.conftest import derive_config
from selftest.gaterun import run_gates

SELECT = ["-m", "security", "--nestgate-controls=SEC-06"]


def _engine(testbed) -> Engine:
    return Engine("", 30, testbed.instance, "swarm")


def _restore(testbed, old: str, new: str) -> None:
    """Back to `old`: undo a finished drill, or one stopped before it removed `old`."""
    engine = _engine(testbed)
    names = {s.name: s for s in swarm_objects.secrets(engine)}
    if new not in names:
        return
    if old not in names:
        report = rotate(engine, new, old, testbed.secret_file("jwt_secret").read_bytes(), 180)
        assert not report.failure, report.failure
        return
    for svc in users_of(swarm_objects.services(engine), new):
        swap_service_secret(engine, svc, new, names[old].id, old)
    testbed.up()  # waits until the stack has converged again
    remove_secret(engine, names[new].id, new)


@pytest.fixture(scope="module")
def drill(testbed):
    old, new = f"{testbed.instance}_jwt_secret_v2", f"{testbed.instance}_jwt_secret_v3"
    try:
        run = run_gates(SELECT, testbed.config_path, env={"NESTGATE_ALLOW_DESTRUCTIVE": "1"})
        engine = _engine(testbed)
        after = {"secrets": [s.name for s in swarm_objects.secrets(engine)],
                 "app": next(s for s in swarm_objects.services(engine) if s.name == "app"),
                 "app_health": [c.health for c in engine.running() if c.service == "app"]}
        yield run, after, old, new
    finally:
        _restore(testbed, old, new)


def test_drill_passes_and_records_timings(drill):
    run, _, old, new = drill
    [result] = [o for o in run.by_control("SEC-06") if "SEC-06[destructive]" in o.nodeid]
    assert result.outcome == "passed", run.output
    measured = json.loads(result.properties["nestgate.evidence"])["measured"]
    assert (measured["mode"], measured["rotate"], measured["to"], measured["drill"]) == ("destructive", old, new, "run")
    timings = measured["timings_s"]
    assert 0 < timings["create"] <= timings["update_issued"] <= timings["converged:app"] <= timings["total"]
    assert timings["total"] < 180


def test_stack_ends_healthy_on_the_new_version(drill):
    _, after, old, new = drill
    assert new in after["secrets"] and old not in after["secrets"]
    uses = {(u.secret_name, u.target) for u in after["app"].secrets}
    assert (new, "jwt_secret") in uses and not any(name == old for name, _ in uses)
    assert after["app_health"] == ["healthy"]


def test_without_the_flag_the_drill_is_planned_not_run(testbed):
    run = run_gates(SELECT, testbed.config_path, env={"NESTGATE_ALLOW_DESTRUCTIVE": ""})
    [dry] = [o for o in run.by_control("SEC-06") if "SEC-06[dry-run]" in o.nodeid]
    assert dry.outcome == "passed", run.output
    assert json.loads(dry.properties["nestgate.evidence"])["measured"]["drill"].startswith("not run")


def test_a_plan_that_cannot_work_fails(testbed, tmp_path):
    base = tomllib.loads(testbed.config_path.read_text())
    config = derive_config(base, tmp_path, security={"rotation": {"secret": "no_such_secret"}},
                           target={"project_dir": str(testbed.project_dir)})
    run = run_gates(SELECT, config)
    [dry] = [o for o in run.by_control("SEC-06") if "SEC-06[dry-run]" in o.nodeid]
    assert dry.outcome == "failed"
    assert f"SEC-06: rotation of {testbed.instance}_no_such_secret: no secret " \
           f"{testbed.instance}_no_such_secret_vN exists to rotate" in dry.message
