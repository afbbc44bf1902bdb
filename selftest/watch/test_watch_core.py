"""`nestgate watch` against the reference stack: samples of every signal, controls rounds with their
evidence, restart and SIGTERM, a stopped service, secrets kept out of the history, and a dead engine.

Every watcher runs as a real `nestgate watch` subprocess on a derived config that sits beside the
instance's own (its relative paths keep their meaning), with short windows set through [watch].
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docker
import pytest
import requests

from nestgate.gate.bundle import verify_bundle
from selftest.fixture_suite import hanging_endpoint
from selftest.gaterun import ROOT
from selftest.watch.history_read import query

SERVICES = ["app", "monitor", "nginx", "postgres", "redis"]
ENDPOINTS = ["/health", "/api/health"]
SERVICE_SIGNALS = ["service.up", "memory.percent", "log.errors", "auth.failures"]
CONTROLS = ["INF-04", "INF-06"]  # quick rounds; the default selection is exercised by `--once` below


# -- helpers ----------------------------------------------------------------------------------
@pytest.fixture
def watch_config(testbed, tmp_path, beside_testbed) -> Callable[..., Path]:
    """Write a derived config beside the instance's: [watch] into tmp_path, other sections merged."""
    def make(watch: dict[str, Any] | None = None, **sections: dict[str, Any]) -> Path:
        data = tomllib.loads(testbed.config_path.read_text())
        data["watch"] = {"history": str(tmp_path / "history.sqlite"), "evidence_dir": str(tmp_path / "evidence"),
                         "controls": CONTROLS, "endpoints": ENDPOINTS, "sample_every_s": 2.0,
                         "round_timeout_s": 300.0, **(watch or {})}
        for name, values in sections.items():
            _merge(data.setdefault(name, {}), values)
        return beside_testbed(data, "watch-selftest")
    return make


def _merge(into: dict[str, Any], values: dict[str, Any]) -> None:
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _argv(config: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "nestgate.cli", "watch", f"--target-config={config}", *args]


def start(config: Path, tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    out = (tmp_path / f"watch-{time.monotonic_ns()}.log").open("w")
    return subprocess.Popen(_argv(config, *args), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})})


def run(config: Path, *args: str, env: dict[str, str] | None = None,
        timeout: float = 400) -> subprocess.CompletedProcess:
    return subprocess.run(_argv(config, *args), cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, check=False)


def wait_for(what: str, check: Callable[[], bool], timeout_s: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"watcher exited ({proc.returncode}) before {what}")
        time.sleep(0.5)
    pytest.fail(f"not within {timeout_s:g} s: {what}")


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 90) -> int:
    proc.send_signal(sig)
    return proc.wait(timeout=timeout_s)


def meta(history: Path, key: str) -> Any:
    import json

    rows = query(history, "SELECT value FROM meta WHERE key = ?", (key,))
    return json.loads(rows[0][0]) if rows else None


def samples_of(history: Path) -> list[tuple]:
    return query(history, "SELECT id, ts, signal, subject, value, detail FROM samples ORDER BY id")


def failed_login(base_url: str, username: str) -> None:
    resp = requests.post(f"{base_url}/api/auth/login", json={"username": username, "password": "wrong-password"},
                         timeout=10)
    assert resp.status_code in (400, 401, 403), resp.status_code


# -- (a) a schedule records everything -------------------------------------------------------
def test_a_watch_records_every_signal_and_rounds_with_evidence(watch_config, tmp_path):
    """Watched until the history holds 10 samples and 2 finished rounds (polled to a deadline, not
    hoped for within a fixed schedule), then stopped; every round that ran to its end is GO."""
    config = watch_config()
    history = tmp_path / "history.sqlite"
    proc = start(config, tmp_path, "--schedule", "20s:1h", "--sample-every", "2")  # idle gaps between rounds
    try:
        wait_for("10 samples and 2 finished rounds, none running", lambda: len(
            {r[1] for r in samples_of(history)}) >= 10 and len(
            query(history, "SELECT id FROM runs WHERE finished IS NOT NULL")) >= 2 and not query(
            history, "SELECT id FROM runs WHERE finished IS NULL"), 600, proc)
        code = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    output = next(iter(sorted(tmp_path.glob("watch-*.log")))).read_text()
    assert code == 0, output[-3000:]
    assert "Traceback" not in output

    got = {(s, subj) for _, _, s, subj, _, _ in samples_of(history)}
    expected = {(sig, svc) for sig in SERVICE_SIGNALS for svc in SERVICES}
    expected |= {(sig, ep) for sig in ("http.response_s", "http.ok") for ep in ENDPOINTS}
    expected |= {("security.alerts", "monitor")}
    assert expected <= got, f"missing: {sorted(expected - got)}"
    stamps = sorted({ts for _, ts, *_ in samples_of(history)})
    assert len(stamps) >= 10 and stamps[0] >= meta(history, "watch_start"), stamps
    up = {subj: v for _, _, s, subj, v, _ in samples_of(history) if s == "service.up"}
    assert up == dict.fromkeys(SERVICES, 1.0), up  # the clean stack: every service up in the last sample

    runs = query(history, "SELECT id, started, finished, exit_code, verdict FROM runs ORDER BY id")
    stopped = meta(history, "watch_stopped")
    assert stopped["reason"] == "SIGTERM"
    # SIGTERM was sent with no round running; should one have started since, it is aborted, not GO.
    ended = [r for r in runs if not (r is runs[-1] and r[4].startswith("NO-GO: interrupted: SIGTERM"))]
    assert len(ended) >= 2, runs
    bundles = sorted((tmp_path / "evidence" / "rounds").glob("*-run*[0-9]"))
    assert len(bundles) == len(runs)
    for (run_id, started, finished, exit_code, verdict), bundle in zip(runs, bundles, strict=True):
        assert finished is not None and started <= finished <= stopped["ts"], (run_id, started, finished)
        evidence = verify_bundle(bundle)  # hashes match the manifest
        records = {r["nodeid"]: r["outcome"] for r in evidence["controls"]}
        results = dict(query(history, "SELECT test_id, outcome FROM results WHERE run_id = ?", (run_id,)))
        assert results == records, f"round {run_id}: history rows differ from its evidence.json"
        if (run_id, started, finished, exit_code, verdict) in ended:
            assert {r["control_id"] for r in evidence["controls"]} == set(CONTROLS)
            # the clean stack: every round that ran to its end is GO, with every test passed
            assert verdict == "GO" and exit_code == 0, (run_id, verdict, exit_code)
            assert records and set(records.values()) == {"passed"}, records
    lines = [ln for ln in output.splitlines() if ": sample " in ln]
    assert len(lines) == len(stamps)  # one line per sample


def test_a_schedule_that_ends_stops_the_watch_on_its_own(watch_config, tmp_path):
    proc = run(watch_config(), "--schedule", "2s:4s", "--sample-every", "2", timeout=400)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    history = tmp_path / "history.sqlite"
    assert meta(history, "watch_stopped")["reason"] == "schedule complete"
    runs = query(history, "SELECT verdict FROM runs ORDER BY id")
    assert runs and all(v == "GO" for (v,) in runs), runs  # the clean stack


# -- (b) SIGTERM mid-run, then a restart -------------------------------------------------------
def test_b_sigterm_keeps_the_history_and_a_restart_appends_without_recounting(watch_config, testbed, tmp_path):
    config = watch_config()
    history = tmp_path / "history.sqlite"
    proc = start(config, tmp_path, "--schedule", "5s:10m", "--sample-every", "2")
    try:
        wait_for("a finished round and 3 samples",
                 lambda: len(query(history, "SELECT id FROM runs WHERE finished IS NOT NULL")) >= 1
                 and len({r[1] for r in samples_of(history)}) >= 3, 180, proc)
        code = stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, code
    first_rows = samples_of(history)
    first_runs = query(history, "SELECT * FROM runs ORDER BY id")
    start_ts, schedule = meta(history, "watch_start"), meta(history, "watch_schedule")
    assert meta(history, "watch_stopped")["reason"] == "SIGTERM"
    assert all(r[2] is not None for r in first_runs), "a round left unfinished after SIGTERM"

    # While no watcher runs: three failed logins. The restarted watcher counts them (it continues
    # from its saved position in each log), although they are older than one sample interval.
    for _ in range(3):
        failed_login(testbed.base_url, "nestgate-watch-restart")
    time.sleep(5)

    proc = start(config, tmp_path, "--schedule", "1m:1h", "--sample-every", "2")  # another schedule: kept as is
    try:
        wait_for("3 more samples", lambda: len({r[1] for r in samples_of(history)}) >= len(
            {r[1] for r in first_rows}) + 3, 120, proc)
        code = stop(proc, signal.SIGINT)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 130  # SIGINT: stopped cleanly, exit 130
    assert meta(history, "watch_stopped")["reason"] == "SIGINT"
    rows = samples_of(history)
    assert rows[:len(first_rows)] == first_rows, "rows of the first run changed"
    assert len(rows) > len(first_rows)
    assert query(history, "SELECT * FROM runs ORDER BY id")[:len(first_runs)] == first_runs
    assert (meta(history, "watch_start"), meta(history, "watch_schedule")) == (start_ts, schedule) == (
        start_ts, "5s:10m")
    after = [r for r in rows[len(first_rows):] if r[2] == "auth.failures" and r[3] == "app"]
    assert sum(r[4] for r in after) == 3, [(r[4], r[5]) for r in after]


# -- (c) a stopped service ---------------------------------------------------------------------
def test_c_a_service_scaled_to_zero_is_recorded_down(watch_config, testbed, tmp_path):
    config = watch_config(watch={"controls": ["INF-06"]})
    history = tmp_path / "history.sqlite"
    client = docker.from_env()
    service = client.services.get(f"{testbed.instance}_monitor")
    service.scale(0)
    try:
        wait_for("monitor has no running container", lambda: not client.containers.list(
            filters={"label": f"com.docker.swarm.service.name={testbed.instance}_monitor"}), 60)
        proc = run(config, "--once")
    finally:
        service.reload()
        service.scale(1)
        wait_for("monitor running and healthy again", lambda: any(
            c.attrs["State"].get("Health", {}).get("Status") == "healthy" for c in client.containers.list(
                filters={"label": f"com.docker.swarm.service.name={testbed.instance}_monitor"})), 120)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr  # --once: the INF-06 round failed
    last = {(s, subj): (v, detail) for _, _, s, subj, v, detail in samples_of(history)}
    assert last[("service.up", "monitor")][0] == 0.0
    assert '"desired": 0' in last[("service.up", "monitor")][1]
    assert all(last[("service.up", s)][0] == 1.0 for s in SERVICES if s != "monitor")
    assert last[("memory.percent", "monitor")][0] == -1.0 and "no running container" in last[
        ("memory.percent", "monitor")][1]
    # the monitor serves the alert list: unreachable through nginx, recorded as a failure
    assert last[("security.alerts", "monitor")][0] == -1.0 and '"error"' in last[("security.alerts", "monitor")][1]
    outcomes = query(history, "SELECT test_id, outcome FROM results")
    assert ("tests_infra/test_inf06_services.py::test_service_replicas_running_and_healthy[INF-06[monitor]]",
            "failed") in outcomes, outcomes


# -- (d) secrets never reach the history --------------------------------------------------------
def test_d_a_secret_logged_by_the_stack_never_appears_in_the_history(watch_config, testbed, tmp_path):
    canary = f"wcanary{secrets.token_hex(10)}"
    # The config references the canary as a credential (SEC-06's new value, from the environment).
    config = watch_config(watch={"controls": ["INF-04"]},
                          security={"rotation": {"new_value": {"env": "NESTGATE_WATCH_CANARY"}}})
    for _ in range(2):
        failed_login(testbed.base_url, canary)  # the app logs: authentication failed user='<canary>'
    proc = run(config, "--once", "--sample-every", "120", env={"NESTGATE_WATCH_CANARY": canary})
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    history = tmp_path / "history.sqlite"
    auth = [(v, d) for _, _, s, subj, v, d in samples_of(history) if s == "auth.failures" and subj == "app"]
    assert auth and auth[-1][0] >= 2, auth  # the canary's lines were read and counted...
    assert "********" in auth[-1][1], auth  # ...and the example line kept in the history is masked
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "evidence.json" for p in files)
    for path in files:
        assert canary.encode() not in path.read_bytes(), f"canary secret in {path}"
    assert canary not in proc.stdout + proc.stderr


# -- (e) the engine cannot be reached ----------------------------------------------------------
def test_e_an_unreachable_engine_is_recorded_as_failures_not_a_crash(watch_config, tmp_path):
    dead = f"unix://{tmp_path}/no-docker.sock"
    config = watch_config(watch={"controls": ["INF-06"]}, target={"docker_host": dead})
    proc = run(config, "--once", timeout=300)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr  # the round fails; the watcher does not crash
    assert "Traceback" not in proc.stdout + proc.stderr
    rows = samples_of(tmp_path / "history.sqlite")
    by = {(s, subj): (v, d) for _, _, s, subj, v, d in rows}
    for svc in SERVICES:
        assert by[("service.up", svc)][0] == 0.0
        for sig in ("memory.percent", "log.errors", "auth.failures"):
            assert by[(sig, svc)][0] == -1.0
        assert "Docker engine unreachable" in by[("service.up", svc)][1] and dead in by[("service.up", svc)][1]
    assert by[("http.ok", "/health")][0] == 1.0  # what does not need the engine is still measured
    [(verdict,)] = query(tmp_path / "history.sqlite", "SELECT verdict FROM runs")
    assert verdict.startswith("NO-GO")


# -- usage errors: one line, exit 2 ------------------------------------------------------------
@pytest.mark.parametrize(("args", "expect"), [
    (["--schedule", "5m"], "--schedule: schedule part '5m' is not INTERVAL:DURATION"),
    (["--history", "/proc/nestgate/h.sqlite"], "history /proc/nestgate/h.sqlite cannot be opened"),
    (["-m", "runtime and secuirty"], "unknown marker(s) secuirty"),
])
def test_usage_errors_are_one_line_and_exit_2(args, expect):
    proc = subprocess.run(_argv(ROOT / "nestgate.toml", *args), cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and expect in proc.stderr, proc.stderr


def test_a_bad_config_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "nestgate.toml"
    bad.write_text('[watch]\nschedule = "every now and then"\n')
    proc = subprocess.run(_argv(bad), cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "watch.schedule" in proc.stderr, proc.stderr


# -- a round that runs too long -----------------------------------------------------------------
ROUND_TIMEOUT_S = 5.0
HUNG_FOR_S = 120.0  # INF-04 waits this long for an answer that never comes: far past the round's timeout


def test_a_round_over_its_timeout_is_killed_and_recorded_failed(watch_config, tmp_path):
    # The round cannot finish in time by construction: its one control, INF-04, asks an endpoint that
    # accepts and never answers, and waits HUNG_FOR_S for it; the round may take ROUND_TIMEOUT_S.
    with hanging_endpoint() as url:
        config = watch_config(watch={"controls": ["INF-04"], "round_timeout_s": ROUND_TIMEOUT_S,
                                     "endpoint_timeout_s": 1.0},
                              target={"base_url": url},
                              infra={"health_endpoints": [{"path": "/health", "timeout_s": HUNG_FOR_S}]})
        proc = run(config, "--once", timeout=300)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr
    history = tmp_path / "history.sqlite"
    [(started, finished, exit_code, verdict)] = query(history, "SELECT started, finished, exit_code, verdict FROM runs")
    assert exit_code == -signal.SIGKILL, (exit_code, verdict)
    assert verdict.startswith(f"NO-GO: timed out after {ROUND_TIMEOUT_S:g} s (killed)"), verdict
    assert ROUND_TIMEOUT_S <= finished - started < HUNG_FOR_S  # killed at its timeout, not after INF-04 gave up
    assert query(history, "SELECT control, outcome FROM results") == [("INF-04", "error")]
