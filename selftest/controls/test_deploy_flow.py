"""`nestgate deploy` end to end on the fixture suite: deploy on a full pass, a waived failure,
a failed deploy, and a post-deploy failure that is rolled back (timed, recorded as INF-08)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nestgate.deploy import latest_rollback_drill
from nestgate.gate.bundle import verify_bundle, verify_tree_manifest
from selftest.fixture_suite import run_deploy, write_suite
from selftest.stub_controls import SOON

DEPLOYED, DEPLOY_FAILED, ROLLED_BACK, ROLLBACK_FAILED, NO_ROLLBACK = 0, 11, 12, 13, 14


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite")


def _deploy(suite: Path, command: str, *extra: str, mode: str = "") -> tuple[int, str, Path, dict]:
    proc = run_deploy(["--suite", str(suite), "--gate", "security", "--post-gate", "INF-04",
                       "--post-gate-deadline", "0", *extra, "--", "sh", "-c", command], mode=mode, cwd=suite)
    [folder] = (suite / "reports").glob("*-deploy-security")
    record = json.loads((folder / "deploy.json").read_text())
    manifest = verify_tree_manifest(folder)["files"]  # every file hashed, none unlisted
    assert "deploy.json" in manifest
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.returncode, proc.stdout + proc.stderr, folder, record


def test_a_full_pass_deploys_and_checks_after(suite):
    code, out, folder, record = _deploy(suite, "touch deployed")
    assert code == DEPLOYED, out
    assert (suite / "deployed").exists()
    assert [s["name"] for s in record["steps"]] == ["gate", "deploy", "post-gate-1"]
    assert record["outcome"] == "deployed" and record["rollback"] is None
    assert verify_bundle(folder / "gate")["verdict"]["security"]["verdict"] == "GO"
    assert verify_bundle(folder / "post-gate-1")["controls"][0]["control_id"] == "INF-04"


def test_a_waived_failure_deploys_and_the_waiver_is_on_record(suite, tmp_path):
    waivers = tmp_path / "w.toml"
    waivers.write_text('[[waiver]]\nid = "SEC-02"\njustification = "secret store migration OPS-12"\n'
                       f'owner = "ops@example.org"\nexpires = {SOON}\n')
    code, out, folder, _ = _deploy(suite, "touch deployed", f"--waivers={waivers}", mode="fail")
    assert code == DEPLOYED, out
    evidence = verify_bundle(folder / "gate")
    [record] = [r for r in evidence["controls"] if r["control_id"] == "SEC-02" and "stub" not in r["nodeid"]]
    assert record["outcome"] == "waived" and record["waiver"]["justification"] == "secret store migration OPS-12"
    # the waiver used is listed in the verdict, evidence.json and deploy.json
    [used] = evidence["waivers_used"]
    assert (used["id"], used["owner"], used["waived"]) == ("SEC-02", "ops@example.org", record["nodeid"])
    deploy = json.loads((folder / "deploy.json").read_text())
    assert deploy["waivers"]["used"] == [used] and deploy["waivers"]["from"] == "--waivers"
    assert f"waiver SEC-02 (line 1, owner ops@example.org, expires {SOON}" in out


def test_a_failed_deploy_command_stops_there(suite):
    code, out, _, record = _deploy(suite, "exit 3", "--rollback", "touch rolled-back")
    assert code == DEPLOY_FAILED, out
    assert [s["name"] for s in record["steps"]] == ["gate", "deploy"]
    assert record["steps"][1]["returncode"] == 3 and not (suite / "rolled-back").exists()


def test_a_post_deploy_failure_is_rolled_back_and_timed_as_inf08(suite):
    code, out, folder, record = _deploy(suite, "touch state/broken", "--rollback", "sleep 1; rm state/broken")
    assert code == ROLLED_BACK, out
    assert not (suite / "state" / "broken").exists()
    assert [s["name"] for s in record["steps"]] == ["gate", "deploy", "post-gate-1", "rollback", "rollback-check-1"]
    post = verify_bundle(folder / "post-gate-1")["controls"][0]
    assert post["outcome"] == "failed" and "answered 503, expected 2xx" in post["message"]
    drill = json.loads((folder / "rollback.json").read_text())
    assert drill["control_id"] == "INF-08" and drill["passed"] is True
    assert drill["threshold"] == {"rollback_limit_s": 300}
    assert 1.0 <= drill["measured"]["rollback_s"] < 300 and drill["measured"]["restored"] is True
    assert drill["measured"]["rollback_command_s"] >= 1.0
    assert latest_rollback_drill(suite / "reports") == drill
    assert "rollback: restored after" in out and "(limit 300 s)" in out


def test_a_rollback_that_fails_or_is_too_slow_is_reported_as_failed(tmp_path):
    suite = write_suite(tmp_path / "suite", rollback_limit_s=3)
    code, out, folder, _ = _deploy(suite, "touch state/broken", "--rollback", "false")
    assert code == ROLLBACK_FAILED, out
    assert json.loads((folder / "rollback.json").read_text())["measured"]["rollback_command_ok"] is False
    for old in (suite / "reports").iterdir():
        old.rename(tmp_path / old.name)
    code, out, folder, _ = _deploy(suite, "touch state/broken", "--rollback", "sleep 10; rm state/broken")
    assert code == ROLLBACK_FAILED, out
    drill = json.loads((folder / "rollback.json").read_text())
    assert drill["passed"] is False and drill["measured"]["restored"] is False
    assert drill["threshold"] == {"rollback_limit_s": 3}


def test_a_post_deploy_failure_without_rollback_says_so(suite):
    code, out, _, record = _deploy(suite, "touch state/broken")
    assert code == NO_ROLLBACK, out
    assert record["outcome"] == "post-deploy gate failed; no --rollback given"


def test_a_long_silent_deploy_command_is_not_silent(suite):
    """A deploy command that prints nothing for 9 s: nestgate deploy logs its start, a heartbeat
    within the 10 s a user may wait, and its end with the elapsed time (stderr, Python logging)."""
    code, out, _, _ = _deploy(suite, "sleep 9; touch deployed")
    assert code == DEPLOYED, out
    assert "deploy command ..." in out
    assert "still deploy command" in out
    assert "deploy command: done" in out
    quiet, out_q, _, _ = _deploy(write_suite(suite.parent / "quiet"), "sleep 9; touch deployed", "--quiet")
    assert quiet == DEPLOYED and "still deploy command" not in out_q
