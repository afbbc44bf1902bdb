"""INF-08 "tested" against the real reference stack: with no drill on record the control fails naming
the window; a recorded drill that is too old, over the rollback limit or did not restore fails naming
the file and the measured values; a drill `nestgate deploy --rollback-drill` performs on the stack
(`docker service rollback` of the built services, timed until the post-deploy gate passes on the
previous release, then the deploy again) makes it pass, and one whose rollback command changes
nothing leaves it failing.

Each test derives a config from the testbed's whose drill location is a fresh temp folder (the
testbed's own drill, run by `up`, is not seen there)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from selftest.conftest import derive_config, infra_config_of
from selftest.fixture_suite import run_deploy
from selftest.gaterun import ROOT, GateRun, run_gates

READY = "test_built_services_have_previous_image[INF-08]"
TESTED = "test_rollback_drill_recent_and_within_limit[INF-08]"
DRILL_FAILED = 15


@pytest.fixture(scope="module")
def base(testbed) -> dict:
    return infra_config_of(testbed)


def drills_config(base: dict, directory: Path, limit_s: float = 300, **rollback) -> Path:
    settings = {"drill_reports": str(directory / "reports"), "drill_record": "", **rollback}
    directory.mkdir(exist_ok=True)
    return derive_config(base, directory, infra={**base["infra"], "rollback_limit_s": limit_s, "rollback": settings})


def inf08(config: Path) -> dict[str, tuple[str, str]]:
    """Test name -> (outcome, first line of its message) for INF-08's two tests."""
    run = run_gates(["-m", "infra", "--nestgate-controls=INF-08"], config)
    assert "Traceback" not in run.output, run.output[-3000:]
    return _by_test(run)


def _by_test(run: GateRun) -> dict[str, tuple[str, str]]:
    got = {o.nodeid.split("::")[-1]: (o.outcome, (o.message.splitlines() or [""])[0]) for o in run.by_control("INF-08")}
    assert set(got) == {READY, TESTED}, run.output[-3000:]
    return got


def record(days_ago: float, seconds: float, restored: bool) -> dict:
    finished = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=days_ago)
    return {"kind": "drill", "started": (finished - dt.timedelta(seconds=seconds)).isoformat(),
            "finished": finished.isoformat(), "seconds": seconds, "limit_s": 300.0, "restored": restored,
            "rolled_back": "docker service rollback medianest_app (game day)", "rolled_forward": True}


def test_no_drill_on_record_fails_naming_the_window(base, tmp_path):
    got = inf08(drills_config(base, tmp_path))
    assert got[READY] == ("passed", "")
    assert got[TESTED] == ("failed", f"INF-08: no rollback drill recorded in the last 30 days (looked in {tmp_path}"
                                     "/reports/*-deploy*/rollback.json (no such folder))")
    got = inf08(drills_config(base, tmp_path, drill_max_age_days=7))
    assert got[TESTED][1].startswith("INF-08: no rollback drill recorded in the last 7 days (looked in ")


@pytest.mark.parametrize(("days_ago", "seconds", "restored", "fragments"), [
    (45.0, 40.0, True, ["INF-08: no rollback drill recorded in the last 30 days: the newest finished ",
                        ", 45.0 days ago (", "drills.json[1]; looked in "]),
    (1.0, 412.5, True, ["INF-08: rollback drill ", "drills.json[1] (finished ",
                        "restored after 412.5 s, not under the rollback limit of 300 s"]),
    (1.0, 300.4, False, ["INF-08: rollback drill ", "drills.json[1] (finished ",
                         "did not restore the stack: gave up after 300.4 s (limit 300 s); rolled back: "
                         "docker service rollback medianest_app (game day)"]),
], ids=["too-old", "over-the-limit", "not-restored"])
def test_a_recorded_drill_that_does_not_hold_fails(base, tmp_path, days_ago, seconds, restored, fragments):
    drills = tmp_path / "drills.json"
    drills.write_text(json.dumps([record(days_ago + 10, 30.0, True), record(days_ago, seconds, restored)]))
    outcome, line = inf08(drills_config(base, tmp_path, drill_reports="", drill_record=str(drills)))[TESTED]
    assert outcome == "failed"
    for fragment in fragments:
        assert fragment in line, line


def test_a_malformed_drill_record_fails_closed(base, tmp_path):
    drills = tmp_path / "drills.json"
    drills.write_text(json.dumps({**record(1.0, 30.0, True), "restored": "yes"}))
    _, line = inf08(drills_config(base, tmp_path, drill_record=str(drills)))[TESTED]
    assert line == (f"INF-08: evidence unavailable: rollback drill record {drills}: restored: "
                    "Input should be a valid boolean")


def _deploy_with_drill(testbed, config: Path, reports: Path, rollback: str) -> tuple[int, str, Path]:
    before = set(reports.glob("*-deploy-infra"))
    cli = [sys.executable, "-m", "nestgate.testbed.cli"]
    proc = run_deploy(["--suite", str(ROOT), "--reports", str(reports), f"--target-config={config}",
                       "--gate", "infra", "--control", "INF-01", "--control", "INF-06", "--post-gate-deadline", "90",
                       "--rollback", rollback, "--rollback-drill", "--", *cli, "up", "--instance", testbed.instance],
                      timeout_s=900, cwd=ROOT)
    [folder] = set(reports.glob("*-deploy-infra")) - before
    return proc.returncode, proc.stdout + proc.stderr, folder


def test_inf08_passes_after_nestgate_deploy_performed_a_drill(testbed, base, tmp_path):
    reports = tmp_path / "reports"
    config = drills_config(base, tmp_path)
    assert inf08(config)[TESTED][0] == "failed"

    # A drill whose rollback command changes nothing: the post-deploy gate passes, but every task still
    # runs the judged release until the limit (lowered to 30 s here) runs out. Deployed, rolled
    # forward, the drill failed (exit 15), and INF-08 says so.
    noop = drills_config(base, tmp_path / "noop", limit_s=30, drill_reports=str(reports))
    code, out, folder = _deploy_with_drill(testbed, noop, reports, "true")
    assert code == DRILL_FAILED, out
    failed = json.loads((folder / "rollback.json").read_text())
    assert (failed["kind"], failed["restored"], failed["rolled_forward"], failed["passed"]) == ("drill", False, True,
                                                                                                False)
    assert failed["measured"]["tasks_on_previous_release"] == [], failed
    assert "the rollback changed nothing (yet)" in out
    outcome, line = inf08(config)[TESTED]
    assert outcome == "failed" and f"INF-08: rollback drill {folder}/rollback.json (finished " in line, line
    assert "did not restore the stack: gave up after " in line and "(limit 30 s); rolled back: sh -c 'true'" in line

    # A real drill: the built services roll back to their previous release and forward again.
    services = " && ".join(f"docker service rollback --quiet {testbed.instance}_{s}" for s in ("app", "monitor"))
    code, out, folder = _deploy_with_drill(testbed, config, reports, services)
    assert code == 0, out
    drill = json.loads((folder / "rollback.json").read_text())
    assert drill["kind"] == "drill" and drill["restored"] is True and drill["rolled_forward"] is True, drill
    assert 0 < drill["seconds"] <= drill["limit_s"] == 300 and drill["passed"] is True
    assert drill["rolled_back"] == f"sh -c {services!r} (drill, after a passing post-deploy gate)"
    moved = drill["measured"]["tasks_on_previous_release"]
    assert any(m.startswith("service app: task ") for m in moved) and any("service monitor: " in m for m in moved)
    assert dt.datetime.fromisoformat(drill["started"]) <= dt.datetime.fromisoformat(drill["finished"])
    steps = [s["name"] for s in json.loads((folder / "deploy.json").read_text())["steps"]]
    assert steps[:4] == ["gate", "deploy", "post-gate-1", "drill-rollback"], steps
    assert "drill-check-1" in steps and "drill-forward" in steps and steps[-1].startswith("drill-forward-check-")
    assert f"rollback drill: restored after {drill['seconds']:.1f} s (limit 300 s); rolled forward" in out

    got = inf08(config)
    assert got == {READY: ("passed", ""), TESTED: ("passed", "")}, got  # back on the new release, drill on record
    print(f"rollback drill on the reference stack: {drill['seconds']} s")
