"""The completion record on the clean reference stack, from real evidence only: a deploy through
all four gates with a real rollback drill and deployment notes, then a watch period, then
`nestgate complete`: every one of the twelve boxes proven, each citing its evidence, and the canary
secret in the notes and the environment nowhere in what was written. (Which box each piece of
evidence proves, and that taking one away turns exactly that box ✗, is shown on the fixture suite:
selftest/controls/test_completion_signoff.py.)"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib

from selftest.fixture_suite import run_deploy
from selftest.gaterun import ROOT

CANARY = "canary-stackcompletion-3e8a1f6b9d"


def test_a_deploy_a_drill_and_a_watch_period_prove_every_box(testbed, beside_testbed, tmp_path):
    data = tomllib.loads(testbed.config_path.read_text())
    data["watch"] = {"history": str(tmp_path / "history.sqlite"), "evidence_dir": str(tmp_path / "watch"),
                     "controls": ["INF-04"], "endpoints": ["/health"], "sample_every_s": 1.0,
                     "triggers": {"baseline_samples": 1},
                     "actions": {"notify_command": ["true"], "rollback_command": ["true"]}}
    config = beside_testbed(data, "completion")
    notes = tmp_path / "release-notes.md"
    notes.write_text(f"Release r2: hardened app image. Smoke-test token {CANARY}\n")
    env = {"NG_COMPLETION_TOKEN": CANARY}  # a secret-named variable: its value is masked everywhere
    reports = tmp_path / "reports"
    rollback = " && ".join(f"docker service rollback --quiet {testbed.instance}_{s}" for s in ("app", "monitor"))
    cli = [sys.executable, "-m", "nestgate.testbed.cli"]
    deploy = run_deploy(["--suite", str(ROOT), "--reports", str(reports), f"--target-config={config}",
                         *(f"--gate={g}" for g in ("security", "build", "performance", "infra")),
                         "--post-gate-deadline", "90", "--rollback", rollback, "--rollback-drill",
                         "--notes", str(notes), "--", *cli, "up", "--instance", testbed.instance],
                        timeout_s=1500, cwd=ROOT, env=env)
    assert deploy.returncode == 0, deploy.stdout[-4000:] + deploy.stderr[-2000:]
    [folder] = reports.glob("*-deploy-*")

    watch = subprocess.run([sys.executable, "-m", "nestgate.cli", "watch", "--once", f"--target-config={config}"],
                           capture_output=True, text=True, timeout=600, cwd=ROOT, env=_env(env))
    assert watch.returncode == 0, watch.stdout[-3000:] + watch.stderr[-2000:]
    assert "watch start announced: notify-command true ok" in watch.stdout + watch.stderr

    out = tmp_path / "record"
    done = subprocess.run([sys.executable, "-m", "nestgate.cli", "complete", str(folder), f"--target-config={config}",
                           f"--out={out}"], capture_output=True, text=True, timeout=300, cwd=ROOT, env=_env(env))
    record = json.loads((out / "completion.json").read_text())
    boxes = {b["box"]: b for b in record["boxes"]}
    assert done.returncode == 0 and record["complete"], [b for b in record["boxes"] if not b["ok"]]
    assert len(boxes) == 12 and record["evidence"]["refused"] == []
    assert boxes["services"]["line"] == "All services running and healthy (5/5)"
    assert boxes["rollback"]["proof"].startswith(f"rollback drill in {folder}")
    assert boxes["backup"]["proof"].startswith("INF-05 passed") and boxes["notes"]["proof"].startswith(str(folder))
    assert "notify-command to true delivered" in boxes["support"]["proof"]
    for path in [*out.rglob("*"), *folder.rglob("*"), *(tmp_path / "watch").rglob("*"), tmp_path / "history.sqlite"]:
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), path
    for text in (deploy.stdout, deploy.stderr, watch.stdout, watch.stderr, done.stdout, done.stderr):
        assert CANARY not in text


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}
