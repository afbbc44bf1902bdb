"""`nestgate status` over synthetic watch histories in a real SQLite file: the status from the
latest samples, impact, duration from the incident's first trigger, the actions taken; text, JSON
and exit codes through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nestgate.watch.history import History, Sample
from nestgate.watch.status import DEGRADED, OPERATIONAL, OUTAGE, build, render_text

T0 = 1_700_000_000.0


@pytest.fixture
def history(tmp_path: Path):
    h = History(tmp_path / "history.sqlite")
    yield h
    h.close()


def sample(h: History, t: float, app_up: float, health_ok: float, api_ok: float = 1.0) -> None:
    h.add_samples(T0 + t, [Sample("service.up", "app", app_up), Sample("service.up", "postgres", 1),
                           Sample("http.ok", "/health", health_ok), Sample("http.ok", "/api/v1/health", api_ok)])


def test_all_clear_is_operational_with_no_duration(history):
    for t in (0, 30, 60):
        sample(history, t, 1, 1)
    update = build(history)
    assert (update.status, update.duration_s, update.severity) == (OPERATIONAL, None, "none")
    assert update.next_update == T0 + 60 + 1800


def test_a_service_down_is_degraded_since_its_first_trigger_with_its_actions(history):
    sample(history, 0, 1, 1)
    sample(history, 30, 0, 0)
    sample(history, 60, 0, 0)
    event = history.add_event(T0 + 60, 1, "service-down", "app", {"measured": 30})
    history.set_event_actions(event, [{"action": "restart", "ok": True, "ts": T0 + 60}])
    sample(history, 90, 0, 0)
    update = build(history, eta="14:00 UTC")
    assert update.status == DEGRADED and update.severity == "level 1"
    assert update.impact == ["endpoint /health not answering", "service app down"]
    assert update.incident_start == T0 + 60 and update.duration_s == 30.0 and update.first_trigger == "service-down app"
    assert update.actions == ["restart for service-down app: done"]
    text = render_text(update, "medianest")
    assert "Status: DEGRADED" in text and "Duration: 0 min 30 s" in text and "ETA: 14:00 UTC" in text
    assert "- restart for service-down app: done" in text and "Subject: medianest Production Status - LEVEL 1" in text


def test_every_endpoint_failing_is_an_outage_and_a_recovery_ends_the_incident(history):
    sample(history, 0, 1, 1)
    sample(history, 30, 0, 0, 0)
    history.add_event(T0 + 30, 3, "complete-unavailability", "stack", {})
    assert build(history).status == OUTAGE
    sample(history, 60, 1, 1, 1)
    assert build(history).status == OPERATIONAL  # the incident before the all-clear is over


def test_an_empty_history_is_not_operational(history):
    update = build(history)
    assert update.status == OUTAGE and "no sample" in update.impact[0]


def test_the_command_prints_the_template_or_json_and_exits_by_status(history, tmp_path):
    sample(history, 0, 0, 0)
    history.add_event(T0, 1, "service-down", "app", {})
    config = tmp_path / "nestgate.toml"
    config.write_text('[watch]\nhistory = "history.sqlite"\n')
    base = [sys.executable, "-m", "nestgate.cli", "status", f"--target-config={config}"]
    text = subprocess.run(base, capture_output=True, text=True, timeout=60)
    assert text.returncode == 1 and "Status: DEGRADED" in text.stdout and "Next Update:" in text.stdout, text.stderr
    as_json = subprocess.run([*base, "--json", "--next-update=15"], capture_output=True, text=True, timeout=60)
    data = json.loads(as_json.stdout)
    assert data["status"] == DEGRADED and data["next_update"] == T0 + 900 and data["eta"] == "unknown"
    missing = subprocess.run([*base, f"--history={tmp_path / 'none.sqlite'}"], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 2 and "does not exist" in missing.stderr and "Traceback" not in missing.stderr


def test_a_secret_in_the_history_is_masked_in_the_status_update(history, tmp_path):
    """The history is redacted when written; the status command masks again on output (a canary
    known only from the environment, placed raw in an action record)."""
    canary = "canary-status-7d3e9b1f5a"
    sample(history, 0, 0, 0)
    event = history.add_event(T0, 1, "service-down", "app", {})
    history.set_event_actions(event, [{"action": "notify-webhook", "ok": False, "message": f"refused {canary}"}])
    config = tmp_path / "nestgate.toml"
    config.write_text('[watch]\nhistory = "history.sqlite"\n')
    for extra in ([], ["--json"]):
        out = subprocess.run([sys.executable, "-m", "nestgate.cli", "status", f"--target-config={config}", *extra],
                             capture_output=True, text=True, timeout=60,
                             env={**os.environ, "NG_STATUS_TOKEN": canary})
        assert out.returncode == 1 and "notify-webhook for service-down app: FAILED" in out.stdout, out.stderr
        assert canary not in out.stdout + out.stderr
