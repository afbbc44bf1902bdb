"""Secrets never leak (issue 15), swept across every artifact the watch side writes, on the reference
stack: a secret-named variable holds a canary that the app then logs (as a failed login's user name),
and the webhook's path holds another canary while the webhook is unreachable (a failed delivery).
Neither canary may appear in the watcher's terminal output, the history database, the watch's
evidence and log captures, the KPI page, an incident bundle, or a deploy folder."""

from __future__ import annotations

import secrets
from pathlib import Path

import docker
import requests

from selftest.watch.test_watch_kpi_incident import nestgate
from selftest.watch.test_watch_triggers_stack import watching, write_config

CLOSED = "http://127.0.0.1:9"  # nothing listens: every delivery fails, with the URL in requests' error


def _leaks(root: Path, canaries: dict[str, str]) -> list[str]:
    """Every file under `root` (or the file itself) holding a canary, as "file: which"."""
    files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
    return [f"{p}: {name}" for p in files for name, value in canaries.items() if value.encode() in p.read_bytes()]


def test_no_canary_in_any_watch_artifact(testbed, tmp_path):
    secret = "sweep-" + secrets.token_hex(10)
    hook = "hookCANARY" + secrets.token_hex(8)
    canaries = {"secret": secret, "webhook path": hook}
    env = {"NESTGATE_WATCH_CANARY_PASSWORD": secret}
    config = write_config(testbed, tmp_path, actions={
        "capture_logs": True, "capture_logs_since_s": 300.0, "notify_webhook": f"{CLOSED}/services/{hook}",
        "notify_timeout_s": 5.0})
    kept = config.with_name(f"sweep-{tmp_path.name}.toml")  # beside it: relative paths keep their meaning
    kept.write_text(config.read_text())  # watching() removes its config at the end
    with watching(config, tmp_path, env=env) as w:
        for _ in range(40):
            r = requests.post(f"{testbed.base_url}/api/auth/login", json={"username": secret, "password": "x" * 12},
                              timeout=15)
            assert r.status_code == 401, r.text
        w.wait_for("a failed webhook delivery on record", lambda: [
            a for e in w.events("auth-failures", "app") for a in e["actions"]
            if a["action"] == "notify-webhook" and not a["ok"]], 120)
        terminal = w.output()
    [event] = w.events("auth-failures", "app")[:1]
    [delivery] = [a for a in event["actions"] if a["action"] == "notify-webhook"]
    assert delivery["to"] == CLOSED and delivery["message"].startswith("unreachable: "), delivery
    assert "<withheld>" in delivery["message"]  # requests named the URL; its path was withheld
    # the leak's source is real: the app's own log holds the secret as the failed login's user name
    app_logs = b"".join(c.logs() for c in docker.from_env().containers.list(
        filters={"label": f"com.docker.swarm.service.name={testbed.instance}_app"}))
    assert secret.encode() in app_logs

    kpi_page = tmp_path / "kpi.html"
    kpi = nestgate("kpi", f"--target-config={kept}", f"--out={kpi_page}", f"--reports={tmp_path / 'none'}", env=env)
    assert kpi_page.is_file(), kpi.stdout + kpi.stderr
    incident = tmp_path / "incident"
    collected = nestgate("incident", "collect", "--since", "10m", f"--out={incident}", f"--target-config={kept}",
                         f"--reports={tmp_path / 'none'}", env=env)
    assert incident.is_dir(), collected.stdout + collected.stderr
    deployed = nestgate("deploy", "--opaque-command", f"--target-config={kept}", f"--reports={tmp_path / 'deploys'}",
                        "--gate", "infra", "--control", "INF-01", "--post-gate", "INF-01", "--", "true", env=env)
    assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr

    outputs = {"watch terminal": terminal, "kpi terminal": kpi.stdout + kpi.stderr,
               "incident terminal": collected.stdout + collected.stderr,
               "deploy terminal": deployed.stdout + deployed.stderr}
    leaks = [f"{where}: {name}" for where, text in outputs.items() for name, value in canaries.items() if value in text]
    for artifact in (w.history, tmp_path / "evidence", kpi_page, incident, tmp_path / "deploys"):
        assert artifact.exists(), artifact
    kept.unlink()  # the operator's own config holds the webhook URL; it is not an artifact
    # every file the run wrote: history and its journal, evidence, captures, pages, bundles, folders
    leaks += [leak for path in tmp_path.iterdir() for leak in _leaks(path, canaries)]
    assert leaks == []
