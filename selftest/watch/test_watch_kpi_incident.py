"""`nestgate kpi` and `nestgate incident collect` against the reference stack.

One real `nestgate watch` subprocess (short windows through [watch]) records a history while the
app service is scaled to 0 through the Docker SDK and restored; the KPI page built from that
history is rendered in headless Chromium, the KPIs judge the outage, and an incident bundle is
collected from the same stack with a canary secret planted in the app's log.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
import tomli_w

from nestgate.config import load_config
from nestgate.gate.bundle import BundleError, verify_tree_manifest
from nestgate.watch.history import History
from selftest.gaterun import ROOT

ENDPOINTS = ["/health", "/api/health"]  # both through nginx to the app
SERVICES = ["app", "monitor", "nginx", "postgres", "redis"]
STOPPED = "app"
DOWN_AFTER_S = 6.0  # [watch.triggers].service_down_s: the service-down event fires after this


def nestgate(*args: str, timeout: float = 300, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nestgate.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False, env={**os.environ, **(env or {})})


def wait_for(what: str, check: Callable[[], Any], deadline_s: float, every_s: float = 1.0) -> Any:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(every_s)
    pytest.fail(f"not within {deadline_s:g} s: {what}")


def _absolute_refs(data: Any, base: Path) -> Any:
    """{file = "secrets/x"} relative to the instance's config, made absolute: the derived file moves."""
    if isinstance(data, dict):
        if set(data) == {"file"} and isinstance(data["file"], str):
            return {"file": str((base / data["file"]).resolve())}
        return {k: _absolute_refs(v, base) for k, v in data.items()}
    return [_absolute_refs(v, base) for v in data] if isinstance(data, list) else data


def write_config(testbed, directory: Path, watch: dict[str, Any], **sections: dict[str, Any]) -> Path:
    data = _absolute_refs(tomllib.loads(testbed.config_path.read_text()), testbed.config_path.parent)
    data["target"]["project_dir"] = str(testbed.project_dir)
    data["watch"] = {"history": str(directory / "history.sqlite"), "evidence_dir": str(directory / "evidence"),
                     "controls": ["INF-04"], "endpoints": ENDPOINTS, "sample_every_s": 2.0,
                     "round_timeout_s": 300.0, **watch}
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"nestgate-{len(list(directory.glob('nestgate-*.toml')))}.toml"
    path.write_text(tomli_w.dumps(data))
    load_config(path)  # a self-test must not pass because its own config was rejected
    return path


def _history_rows(path: Path, signal_name: str, subject: str) -> list[tuple[float, float]]:
    if not path.exists():
        return []
    h = History(path)
    try:
        return [(s.ts, s.value) for s in h.samples(signal_name, subject=subject)]
    finally:
        h.close()


@dataclass
class Outage:
    """What the watched outage left: the history, its config, and when the app was stopped/restored."""

    directory: Path
    config: Path
    history: Path
    stopped_at: float
    restored_at: float
    watch_output: str


def _scale(client: docker.DockerClient, service: str, replicas: int) -> None:
    client.services.get(service).scale(replicas)


@pytest.fixture(scope="module")
def outage(testbed, tmp_path_factory) -> Iterator[Outage]:
    directory = tmp_path_factory.mktemp("kpi-watch")
    config = write_config(testbed, directory, {"triggers": {"service_down_s": DOWN_AFTER_S}})
    history = directory / "history.sqlite"
    log = (directory / "watch.log").open("w")
    watcher = subprocess.Popen([sys.executable, "-m", "nestgate.cli", "watch", f"--target-config={config}",
                                "--schedule", "10m:1h", "--sample-every", "2"], cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT, text=True)
    client = docker.from_env(timeout=60)
    service = f"{tomllib.loads(config.read_text())['target']['stack']}_{STOPPED}"
    stopped_at = restored_at = 0.0
    try:
        wait_for("5 samples of the app up", lambda: sum(v == 1.0 for _, v in _history_rows(history, "service.up",
                                                                                          STOPPED)) >= 5, 120)
        stopped_at = time.time()
        _scale(client, service, 0)

        def down_event() -> bool:
            h = History(history)
            try:
                return bool(h.events(since=stopped_at, trigger="service-down"))
            finally:
                h.close()
        wait_for("a service-down event for the stopped app", down_event, 120)
        time.sleep(4)  # a few more samples of the outage
    finally:
        _scale(client, service, 1)
        restored_at = time.time()
    try:
        wait_for("the app up again in the history", lambda: any(
            ts > restored_at and v == 1.0 for ts, v in _history_rows(history, "service.up", STOPPED)), 180)

        def round_done() -> bool:
            h = History(history)
            try:
                return any(r.finished is not None for r in h.runs())
            finally:
                h.close()
        wait_for("the watcher's controls round finished", round_done, 300)
        time.sleep(6)  # a few samples after the restoration
    finally:
        watcher.send_signal(signal.SIGTERM)
        try:
            watcher.wait(timeout=60)
        finally:
            if watcher.poll() is None:
                watcher.kill()
            log.close()
    output = (directory / "watch.log").read_text()
    assert watcher.returncode == 0, output
    yield Outage(directory, config, history, stopped_at, restored_at, output)
    testbed.up()  # whatever happened above, the stack is back as the other self-tests expect it


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed (scripts/setup.sh installs Debian's chromium)")
    return subprocess.run([found, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--enable-logging=stderr", "--v=1", "--window-size=1400,3000", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def _rows(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if re.match(r"^(availability|response time|error rate|recovery)",
                                                             line)]


def test_kpi_page_from_a_real_history_renders_in_chromium_with_plots_and_events(outage):
    page = outage.directory / "kpi.html"
    proc = nestgate("kpi", f"--target-config={outage.config}", f"--out={page}",
                    f"--reports={outage.directory / 'no-reports'}")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the outage: not every KPI is met
    assert f"page: {page}" in proc.stdout
    html = page.read_text()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html), "the page loads something external"
    assert "<script" not in html
    shot = outage.directory / "kpi.png"
    run = chromium("--dump-dom", page.as_uri())
    assert run.returncode == 0, run.stderr
    dom = run.stdout
    assert len(re.findall(r"<svg\b", dom)) == 4, "4 plots: availability, response time, memory, errors per minute"
    for title in ("Availability per endpoint", "Response time per endpoint", "Memory per service",
                  "Log errors per minute per service"):
        assert f'aria-label="{title}' in dom
    for endpoint in ENDPOINTS:
        assert f"<td>{endpoint}</td>" in dom
    assert "<td>service-down</td>" in dom and f"<td>{STOPPED}</td>" in dom  # the event, listed
    assert len(re.findall(r"<path\b", dom)) > 40  # the plots drew lines, not empty axes
    # --v=1 logs every console message (INFO:CONSOLE: errors, warnings and a failed resource load)
    console = [line for line in run.stderr.splitlines() if ":CONSOLE" in line]
    assert console == [], console
    chromium(f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_a_stopped_service_fails_availability_and_its_restoration_is_timed(outage):
    proc = nestgate("kpi", f"--target-config={outage.config}", f"--out={outage.directory / 'kpi2.html'}",
                    f"--reports={outage.directory / 'no-reports'}")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    rows = _rows(proc.stdout)
    for endpoint in ENDPOINTS:
        avail = next(r for r in rows if r.startswith("availability") and f" {endpoint} " in r)
        assert "NOT MET" in avail, avail
        measured = float(re.search(r"(\d+(?:\.\d+)?) %", avail)[1])
        assert 0 < measured < 99.9, avail  # answered before and after the outage, not during it
    errors = next(r for r in rows if r.startswith("error rate"))
    assert "NOT MET" in errors, errors
    h = History(outage.history)
    try:
        event = h.events(trigger="service-down")[0]
        back = next(s for s in h.samples("service.up", since=event.ts, subject=STOPPED) if s.value == 1.0)
    finally:
        h.close()
    assert event.subject == STOPPED and outage.stopped_at + DOWN_AFTER_S <= event.ts <= outage.restored_at
    expected = back.ts - event.ts
    recovery = next(r for r in rows if r.startswith("recovery time") and f"(down event #{event.id})" in r)
    assert f"{expected:.3f}".rstrip("0").rstrip(".") + " s" in recovery, (expected, recovery)
    assert "MET" in recovery and "NOT MET" not in recovery  # well under the procedure's 5 minutes
    # the same history judged against a recovery target shorter than the measured time: not met
    strict = write_config_from(outage, kpi={"rollback_s": max(1.0, expected / 2)})
    proc = nestgate("kpi", f"--target-config={strict}", f"--out={outage.directory / 'kpi3.html'}",
                    f"--reports={outage.directory / 'no-reports'}")
    recovery = next(r for r in _rows(proc.stdout) if r.startswith("recovery time") and f"#{event.id})" in r)
    assert "NOT MET" in recovery, proc.stdout


def write_config_from(outage: Outage, **watch: dict[str, Any]) -> Path:
    data = tomllib.loads(outage.config.read_text())
    for key, values in watch.items():
        data["watch"].setdefault(key, {}).update(values)
    path = outage.config.with_name(f"derived-{len(watch)}-{time.monotonic_ns()}.toml")
    path.write_text(tomli_w.dumps(data))
    load_config(path)
    return path


def test_incident_collect_bundles_logs_and_inspect_hashed_with_the_canary_masked(testbed, outage, tmp_path):
    canary = "ngcanary" + secrets.token_hex(12)
    data = tomllib.loads(outage.config.read_text())
    data["security"]["auth"]["password"] = {"env": "NG_INCIDENT_CANARY"}  # registered as a config secret
    config = outage.config.with_name("incident.toml")
    config.write_text(tomli_w.dumps(data))
    load_config(config)
    # the app logs the user name of a failed login: the canary lands in the app's log
    answer = requests.post(f"{testbed.base_url}/api/auth/login", json={"username": canary, "password": "x" * 12},
                           timeout=30)
    assert answer.status_code in (400, 401, 403), answer.status_code
    client = docker.from_env(timeout=60)
    stack = data["target"]["stack"]
    wait_for("the failed login in the app's log", lambda: any(
        canary.encode() in c.logs(since=int(time.time()) - 120) for c in client.containers.list(
            filters={"label": [f"com.docker.stack.namespace={stack}",
                               f"com.docker.swarm.service.name={stack}_{STOPPED}"]})), 30)
    bundle = tmp_path / "bundle"
    proc = nestgate("incident", "collect", "--since", "10m", f"--out={bundle}", f"--target-config={config}",
                    f"--reports={tmp_path / 'no-reports'}", env={"NG_INCIDENT_CANARY": canary})
    assert proc.returncode == 0, proc.stdout + proc.stderr  # complete: nothing missing
    assert f"incident bundle: {bundle}" in proc.stdout
    manifest = verify_tree_manifest(bundle)
    containers = client.containers.list(all=True, filters={"label": f"com.docker.stack.namespace={stack}"})
    for c in containers:
        assert f"inspect/{c.name}.json" in manifest["files"], c.name
        inspect = json.loads((bundle / "inspect" / f"{c.name}.json").read_text())
        assert inspect["Id"] == c.id
    for service in SERVICES:
        logs = list((bundle / "logs" / service).glob("*.log"))
        assert logs, f"no log of {service}"
        assert (bundle / "services" / f"{service}.json").is_file()
    assert any(line for p in (bundle / "logs").rglob("*.log") for line in p.read_text().splitlines())
    summary = json.loads((bundle / "summary.json").read_text())
    assert summary["complete"] is True and summary["not_collected"] == []
    assert summary["last_gate"]["verified"] is True  # the watcher's round bundle under evidence_dir/rounds
    assert summary["watch_history"]["last_round"] >= 1
    assert (bundle / "gate" / "evidence.json").is_file() and (bundle / "watch" / "last-round.json").is_file()
    # the canary reached the app's log and was masked in the bundle, in every file
    app_logs = "".join(p.read_text() for p in (bundle / "logs" / STOPPED).glob("*.log"))
    assert "authentication failed user='********'" in app_logs
    for path in bundle.rglob("*"):
        if path.is_file():
            assert canary not in path.read_text(errors="replace"), f"canary leaked into {path}"
    assert canary not in proc.stdout + proc.stderr
    # the hashes mean something: one changed byte fails verification
    victim = next((bundle / "logs" / STOPPED).glob("*.log"))
    victim.write_text(victim.read_text() + "x")
    with pytest.raises(BundleError, match="does not match the manifest"):
        verify_tree_manifest(bundle)


def test_incident_collect_with_an_unreachable_engine_is_one_line_and_no_bundle(outage, tmp_path):
    data = tomllib.loads(outage.config.read_text())
    data["target"]["docker_host"] = f"unix://{tmp_path}/no-docker.sock"
    data["target"]["call_timeout_s"] = 5.0
    config = outage.config.with_name("dead-engine.toml")
    config.write_text(tomli_w.dumps(data))
    load_config(config)
    bundle = tmp_path / "bundle"
    proc = nestgate("incident", "collect", "--since", "10m", f"--out={bundle}", f"--target-config={config}",
                    timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nestgate: ") and "no-docker.sock" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not bundle.exists()
