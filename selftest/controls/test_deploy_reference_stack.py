"""`nestgate deploy` against the reference stack with the real controls: a clean release deploys;
a release that breaks a health endpoint fails the post-deploy gate (INF-04) and is rolled back,
timed against the 5-minute target and recorded as INF-08 evidence."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from nestgate.gate.bundle import verify_bundle
from selftest.fixture_suite import run_deploy
from selftest.gaterun import ROOT

FAULT = "unhealthy-health-body"  # /health answers 200 with status "degraded": INF-04 fails


def _testbed_cli(testbed, *args: str) -> list[str]:
    return [sys.executable, "-m", "nestgate.testbed.cli", *args, "--instance", testbed.instance]


def _deploy(testbed, tmp_path: Path, command: list[str], *extra: str):
    proc = run_deploy(["--suite", str(ROOT), "--reports", str(tmp_path / "reports"),
                       f"--target-config={testbed.config_path}", "--gate", "infra", "--control", "INF-01",
                       "--control", "INF-06", "--post-gate-deadline", "30", *extra, "--", *command],
                      timeout_s=900, cwd=ROOT)
    [folder] = (tmp_path / "reports").glob("*-deploy-infra")
    return proc, folder, json.loads((folder / "deploy.json").read_text())


def test_a_clean_release_deploys(testbed, tmp_path):
    proc, folder, record = _deploy(testbed, tmp_path, _testbed_cli(testbed, "up"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [s["name"] for s in record["steps"]][:3] == ["gate", "deploy", "post-gate-1"]
    post = verify_bundle(folder / record["steps"][-1]["name"])
    assert {r["control_id"] for r in post["controls"]} == {"INF-04", "INF-06"}  # the default post-deploy gate


def test_a_broken_release_is_rolled_back_within_five_minutes(testbed, tmp_path):
    try:
        proc, folder, record = _deploy(testbed, tmp_path, _testbed_cli(testbed, "fault", "apply", FAULT),
                                       "--post-gate-deadline", "10", "--rollback",
                                       shlex.join(_testbed_cli(testbed, "fault", "remove", FAULT)))
    finally:
        testbed.remove_fault(FAULT)  # leave the stack clean even when the wrapper did not
    out = proc.stdout + proc.stderr
    assert proc.returncode == 12, out
    failed = [r for r in verify_bundle(folder / "post-gate-1")["controls"] if r["outcome"] != "passed"]
    assert [r["control_id"] for r in failed] == ["INF-04"] and "degraded" in failed[0]["message"], failed
    drill = json.loads((folder / "rollback.json").read_text())
    assert drill["control_id"] == "INF-08" and drill["passed"] is True and drill["measured"]["restored"] is True
    assert drill["measured"]["rollback_s"] < drill["threshold"]["rollback_limit_s"] == 300
    steps = [s["name"] for s in record["steps"]]
    assert steps[:2] == ["gate", "deploy"] and "rollback" in steps and steps[-1].startswith("rollback-check-")
    print(f"rollback drill on the reference stack: {drill['measured']['rollback_s']} s "
          f"(command {drill['measured']['rollback_command_s']} s)")
