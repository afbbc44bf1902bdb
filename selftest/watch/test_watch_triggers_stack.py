"""Escalation against the reference stack: a real `nestgate watch` subprocess with short windows
(set through [watch] in a derived config), real faults, then the history read back.

"Within its window and not before" is judged on the history's own timestamps, never on
wall-clock sleeps: an event must come at the first sample at which its condition held (the
samples before it in the same run did not yet satisfy the window), so a slow machine stretches
the intervals but cannot make the check pass or fail by luck.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
import tomli_w

from nestgate.config import load_config
from nestgate.gate.bundle import verify_tree_manifest
from nestgate.redact import MASK
from selftest.gaterun import ROOT
from selftest.watch.history_read import query

EVERY_S = 2.0
TRIGGERS = {"service_down_s": 6.0, "memory_for_s": 6.0, "errors_window_s": 10.0, "auth_window_s": 30.0,
            "auth_failures": 20, "restart_grace_s": 16.0, "degradation_percent": 10000.0}
ENDPOINTS = ["/health", "/api/health"]
CONTROLS = ["INF-04"]  # the watcher's controls round: one quick control


# -- helpers ----------------------------------------------------------------------------------------
def write_config(testbed, tmp_path: Path, triggers: dict[str, Any] | None = None,
                 actions: dict[str, Any] | None = None) -> Path:
    """Beside the instance's own config (its relative paths keep their meaning); [watch] replaced."""
    data = tomllib.loads(testbed.config_path.read_text())
    data["watch"] = {"history": str(tmp_path / "history.sqlite"), "evidence_dir": str(tmp_path / "evidence"),
                     "controls": CONTROLS, "endpoints": ENDPOINTS, "sample_every_s": EVERY_S,
                     "triggers": {**TRIGGERS, **(triggers or {})}, "actions": actions or {}}
    path = testbed.config_path.with_name(f"watch-triggers-{tmp_path.name}.toml")
    path.write_text(tomli_w.dumps(data))
    load_config(path)  # a self-test must not pass because its own config was rejected
    return path


class Watch:
    def __init__(self, config: Path, tmp_path: Path) -> None:
        self.history = tmp_path / "history.sqlite"
        self.log = tmp_path / "watch.log"
        self.config = config
        self.proc: subprocess.Popen[str] | None = None

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        return query(self.history, sql, params)

    def samples(self, signal_name: str, subject: str) -> list[tuple[float, float]]:
        return self.query("SELECT ts, value FROM samples WHERE signal=? AND subject=? ORDER BY ts, id",
                          (signal_name, subject))

    def events(self, trigger: str, subject: str | None = None) -> list[dict[str, Any]]:
        rows = self.query("SELECT id, ts, level, trigger, subject, detail, actions FROM events WHERE trigger=? "
                          "ORDER BY id", (trigger,))
        return [{"id": r[0], "ts": r[1], "level": r[2], "trigger": r[3], "subject": r[4],
                 "detail": json.loads(r[5]), "actions": json.loads(r[6])}
                for r in rows if subject is None or r[4] == subject]

    def wait_for(self, what: str, check: Callable[[], Any], timeout_s: float) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = check()
            if got:
                return got
            if self.proc is not None and self.proc.poll() is not None:
                pytest.fail(f"watcher exited ({self.proc.returncode}) before {what}:\n{self.output()}")
            time.sleep(0.5)
        pytest.fail(f"not within {timeout_s:g} s: {what}\n{self.output()[-4000:]}")

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""


@contextmanager
def watching(config: Path, tmp_path: Path, env: dict[str, str] | None = None) -> Iterator[Watch]:
    """`nestgate watch` as a subprocess (rounds every hour: only the first runs), SIGTERM at the end."""
    w = Watch(config, tmp_path)
    with w.log.open("w") as out:
        w.proc = subprocess.Popen(
            [sys.executable, "-m", "nestgate.cli", "watch", "--schedule", "1h:3h", "--sample-every", str(EVERY_S),
             f"--target-config={config}"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **(env or {})})
        try:
            w.wait_for("first samples", lambda: len(w.query("SELECT DISTINCT ts FROM samples")) >= 3, 120)
            yield w
        finally:
            w.proc.send_signal(signal.SIGTERM)
            try:
                code = w.proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                w.proc.kill()
                raise
            config.unlink(missing_ok=True)
    assert code == 0, w.output()


def run_start(samples: list[tuple[float, float]], until: float, bad: Callable[[float], bool]) -> list[float]:
    """Times of the run of bad samples (failed reads, -1, skipped) ending at `until`, oldest first."""
    run: list[float] = []
    for ts, value in samples:
        if ts > until:
            break
        if value < 0 and not bad(value):
            continue
        run = [*run, ts] if bad(value) else []
    return run


def assert_fired_when_window_elapsed(event: dict[str, Any], samples: list[tuple[float, float]],
                                     bad: Callable[[float], bool], window: float) -> float:
    """The event came once the condition had held for `window`, at the first sample that showed it."""
    run = run_start(samples, event["ts"], bad)
    assert run, f"{event['trigger']}: no sample shows the condition before the event"
    first = run[0]
    assert event["ts"] - first >= window, f"fired {event['ts'] - first:.1f} s after the first sample, window {window}"
    earlier = [ts for ts in run if ts < event["ts"]]
    assert all(ts - first < window for ts in earlier), "a sample before the event already showed the full window"
    assert event["detail"]["since"] == first
    return first


@pytest.fixture(scope="module")
def engine():
    client = docker.from_env(timeout=60)
    yield client
    client.close()


def stack_of(testbed) -> str:
    return tomllib.loads(testbed.config_path.read_text())["target"]["stack"]


# -- (1) a stopped service -------------------------------------------------------------------------------
def test_stopped_service_fires_after_its_window_restart_runs_and_level2_when_it_stays_down(
        testbed, tmp_path, engine):
    """Scaled to 0, the service cannot come back from `service update --force` (it keeps 0
    replicas): the restart runs, is recorded, and the watcher escalates to Level 2 after the grace."""
    name = f"{stack_of(testbed)}_monitor"
    config = write_config(testbed, tmp_path, actions={"restart_service": True})
    before = engine.services.get(name).attrs["Spec"]["TaskTemplate"].get("ForceUpdate", 0)
    try:
        with watching(config, tmp_path) as w:
            w.wait_for("monitor up", lambda: any(v == 1.0 for _, v in w.samples("service.up", "monitor")), 60)
            engine.services.get(name).scale(0)
            down = w.wait_for("service-down for monitor", lambda: w.events("service-down", "monitor"), 120)[0]
            failed = w.wait_for("restart-failed for monitor", lambda: w.events("restart-failed", "monitor"), 120)[0]
            svc = engine.services.get(name)
            svc.scale(1)
    finally:
        testbed.up()
    assert len(w.events("service-down", "monitor")) == 1, w.events("service-down")
    down = w.events("service-down", "monitor")[0]  # read again: its actions are recorded after it
    ups = w.samples("service.up", "monitor")
    assert_fired_when_window_elapsed(down, ups, lambda v: v < 1.0, TRIGGERS["service_down_s"])
    assert down["level"] == 1 and down["detail"]["threshold"] == TRIGGERS["service_down_s"]

    restart = [a for a in down["actions"] if a["action"] == "restart"]
    assert len(restart) == 1 and restart[0]["ok"] is True, down["actions"]
    assert svc.attrs["Spec"]["TaskTemplate"].get("ForceUpdate", 0) > before  # the engine saw the forced update

    assert failed["level"] == 2 and failed["detail"]["restart_event"] == down["id"]
    assert failed["ts"] - restart[0]["ts"] >= TRIGGERS["restart_grace_s"]
    grace_end = restart[0]["ts"] + TRIGGERS["restart_grace_s"]
    assert not [ts for ts, v in ups if restart[0]["ts"] < ts <= grace_end and v >= 1.0]
    assert [ts for ts, _ in ups if restart[0]["ts"] < ts <= grace_end], "no sample inside the grace"
    assert len(w.events("restart-failed", "monitor")) == 1


# -- (2) memory hog ----------------------------------------------------------------------------------------
def fault_fires(testbed, tmp_path, fault: str, trigger: str, subject: str) -> tuple[Watch, dict]:
    """Watch the stack, apply one seeded fault, wait for the trigger's first event; the stack is
    restored whatever happens."""
    config = write_config(testbed, tmp_path)
    try:
        with watching(config, tmp_path) as w:
            testbed.up(faults=[fault])
            event = w.wait_for(f"{trigger} for {subject}", lambda: w.events(trigger, subject), 180)[0]
    finally:
        testbed.up()
    return w, event


def test_memory_hog_fires_memory_high_for_monitor(testbed, tmp_path):
    w, event = fault_fires(testbed, tmp_path, "memory-hog", "memory-high", "monitor")
    limit = TRIGGERS.get("memory_percent", 80.0)
    assert event["detail"]["measured"] > limit and event["detail"]["threshold"] == limit
    assert_fired_when_window_elapsed(event, w.samples("memory.percent", "monitor"), lambda v: v > limit,
                                     TRIGGERS["memory_for_s"])
    assert len(w.events("memory-high", "monitor")) == 1


# -- (3) error burst -----------------------------------------------------------------------------------------
def windowed(samples: list[tuple[float, float]], at: float, window: float) -> float:
    return sum(v for ts, v in samples if at - window < ts <= at and v >= 0)


def test_error_burst_fires_error_rate_for_app(testbed, tmp_path):
    w, event = fault_fires(testbed, tmp_path, "error-burst", "error-rate", "app")
    window, limit = TRIGGERS["errors_window_s"], 10.0
    errors = w.samples("log.errors", "app")
    count = windowed(errors, event["ts"], window)
    assert event["detail"]["count"] == count and count / (window / 60) > limit, (event, errors)
    assert event["detail"]["measured"] == round(count / (window / 60), 2)
    # not before: at every earlier sample the window held no more than the limit
    assert all(windowed(errors, ts, window) / (window / 60) <= limit for ts, _ in errors if ts < event["ts"])
    assert "ERROR" in event["detail"]["example"].upper()
    assert len(w.events("error-rate", "app")) == 1


# -- (4, 5) auth-failure burst, security alert, notifications, captured logs -----------------------------------
@contextmanager
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    """The webhook's destination: a local HTTP server that keeps every POST body."""
    got: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", got
    finally:
        server.shutdown()
        server.server_close()


def test_auth_burst_fires_auth_failures_and_security_alert_with_notifications_and_capture(testbed, tmp_path):
    canary = "canary-" + secrets.token_hex(12)
    inbox = tmp_path / "command-inbox.jsonl"
    notify_cmd = [sys.executable, "-c",
                  f"import sys; open({str(inbox)!r}, 'a').write(sys.stdin.read().strip() + '\\n')"]
    with receiver() as (url, posted):
        config = write_config(testbed, tmp_path, actions={
            "capture_logs": True, "capture_logs_since_s": 300.0, "notify_webhook": f"{url}/hook/{canary}",
            "notify_command": notify_cmd, "notify_timeout_s": 10.0})
        # The watcher knows the canary as a secret (secret-named variable); the app logs it as a user name.
        with watching(config, tmp_path, env={"NESTGATE_WATCH_CANARY_PASSWORD": canary}) as w:
            for _ in range(40):
                r = requests.post(f"{testbed.base_url}/api/auth/login", json={"username": canary, "password": "x" * 12},
                                  timeout=15)
                assert r.status_code == 401, r.text
            auth = w.wait_for("auth-failures for app", lambda: w.events("auth-failures", "app"), 120)[0]
            alert = w.wait_for("security-alert for monitor", lambda: w.events("security-alert", "monitor"), 120)[0]
            # Level 3: the monitor's alert about app, confirmed by app's own auth-failures event
            breach = w.wait_for("security-breach-confirmed for app",
                                lambda: w.events("security-breach-confirmed", "app"), 60)[0]
            w.wait_for("notifications delivered", lambda: all(
                any(a["action"] == n and a["ok"] for a in e["actions"])
                for e in (w.events("auth-failures", "app")[0], w.events("security-alert", "monitor")[0])
                for n in ("notify-webhook", "notify-command")), 60)
            webhook_bodies = [b.decode() for b in posted]

    # read again: an event's actions are recorded after the event
    auth, alert = w.events("auth-failures", "app")[0], w.events("security-alert", "monitor")[0]
    # one auth incident; the monitor may raise in two consecutive polls (a burst across its poll), which
    # are two alerts with a quiet sample between them, so only the first security-alert is judged
    assert len(w.events("auth-failures", "app")) == 1
    # (4) the triggers, their windows and thresholds
    failures = w.samples("auth.failures", "app")
    total = windowed(failures, auth["ts"], TRIGGERS["auth_window_s"])
    assert auth["detail"]["measured"] == total > TRIGGERS["auth_failures"], (auth, failures)
    assert all(windowed(failures, ts, TRIGGERS["auth_window_s"]) <= TRIGGERS["auth_failures"]
               for ts, _ in failures if ts < auth["ts"])
    assert alert["detail"]["measured"] > 0 and any(a.get("kind") == "auth-failures" for a in alert["detail"]["alerts"])
    assert breach["level"] == 3 and breach["detail"]["confirmed_by"] == "auth-failures"
    assert breach["detail"]["confirm_event"] == auth["id"] and breach["detail"]["alert_event"] == alert["id"]
    assert abs(auth["ts"] - alert["ts"]) <= breach["detail"]["window_s"]
    assert len(w.events("security-breach-confirmed")) == 1

    # (5) notifications: the event arrived by both routes, without the canary
    for route, bodies in (("webhook", webhook_bodies), ("command", inbox.read_text().splitlines())):
        payloads = [json.loads(b) for b in bodies]
        # the watch-start notice ("deployment live") goes to every route first, then the events
        assert [p["format"] for p in payloads[:1]] == ["nestgate-watch-started/1"], (route, payloads)
        by = {(p["trigger"], p["subject"]): p for p in payloads if "trigger" in p}
        assert set(by) >= {("auth-failures", "app"), ("security-alert", "monitor")}, (route, payloads)
        sent = by[("auth-failures", "app")]
        assert sent["id"] == auth["id"] and sent["level"] == 1 and sent["detail"]["measured"] == total
        assert sent["detail"]["threshold"] == TRIGGERS["auth_failures"]
        assert MASK in sent["detail"]["example"]  # the logged user name was the canary: masked
        assert all(canary not in b for b in bodies), route
    # captured logs: bundle whose hashes verify, with the failures in it and the canary masked
    capture = next(a for a in auth["actions"] if a["action"] == "capture-logs")
    assert capture["ok"] is True, capture
    bundle = Path(capture["path"])
    manifest = verify_tree_manifest(bundle)
    assert set(manifest["files"]) == {"event.json", "logs.txt", "inspect.json"}
    logs = (bundle / "logs.txt").read_text()
    assert logs.count("authentication failed") >= 40 and MASK in logs
    # nowhere: history, captures, command inbox, watcher output
    for path in [*tmp_path.rglob("*"), w.log]:
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path


# -- (5) Level 3: the whole stack down ---------------------------------------------------------------------
def test_every_service_scaled_to_zero_fires_level3_and_rolls_back_once(testbed, tmp_path, engine):
    """Every service of the stack scaled to 0: complete unavailability and system-wide failure fire
    (Level 3), and the configured rollback command (here: scale everything back to 1, the way an
    operator's rollback restores the release) runs once for both, timed against kpi.rollback_s."""
    stack = stack_of(testbed)
    names = sorted(s.name for s in engine.services.list(filters={"label": f"com.docker.stack.namespace={stack}"}))
    assert len(names) >= 4, names
    ran = tmp_path / "rollbacks.txt"
    rollback = ["sh", "-c", f"echo ran >> {ran} && docker service scale --detach "
                + " ".join(f"{n}=1" for n in names)]
    config = write_config(testbed, tmp_path, triggers={"unavailable_s": 6.0},
                          actions={"rollback_command": rollback, "incident_bundle": True})
    try:
        with watching(config, tmp_path) as w:
            w.wait_for("every endpoint answering", lambda: all(
                any(v == 1.0 for _, v in w.samples("http.ok", e)) for e in ENDPOINTS), 60)
            for name in names:
                engine.services.get(name).scale(0)
            w.wait_for("Level 3 events", lambda: w.events("complete-unavailability")
                       and w.events("system-wide-failure"), 180)
            w.wait_for("rollback recorded", lambda: [a for e in w.events("complete-unavailability")
                                                     + w.events("system-wide-failure")
                                                     for a in e["actions"] if a["action"] == "rollback"], 120)
    finally:
        testbed.up()
    level3 = w.events("complete-unavailability") + w.events("system-wide-failure")
    assert {e["level"] for e in level3} == {3} and len(level3) == 2, level3
    assert ran.read_text() == "ran\n"  # two Level 3 triggers, one rollback
    rollbacks = [a for e in level3 for a in e["actions"] if a["action"] == "rollback"]
    assert sorted(a["ran"] for a in rollbacks) == [False, True], rollbacks
    [done] = [a for a in rollbacks if a["ran"]]
    assert done["ok"] is True and done["within_limit"] is True and done["duration_s"] <= done["limit_s"]
    unavailable = w.events("complete-unavailability")[0]
    assert unavailable["detail"]["measured"] >= 6.0 and sorted(unavailable["detail"]["endpoints"]) == sorted(ENDPOINTS)
    bundles = [a for e in level3 for a in e["actions"] if a["action"] == "incident-bundle"]
    assert bundles and all(Path(b["path"]).is_dir() for b in bundles), bundles
    verify_tree_manifest(Path(bundles[0]["path"]))
