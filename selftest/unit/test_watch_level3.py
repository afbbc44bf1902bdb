"""Level 3 (Emergency Response) triggers and actions over synthetic histories in a real SQLite
file: each fires at its window and not before, once per emergency; the breach needs its second
signal; the rollback command runs once however many Level 3 triggers fire; per-level routes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from nestgate.config import LoadedConfig
from nestgate.config.model import NestgateConfig
from nestgate.watch.history import History, Result, Sample
from selftest.unit.test_watch_triggers import T0, fired, put

SERVICES = ("app", "postgres", "redis", "nginx")


@pytest.fixture
def history(tmp_path: Path):
    h = History(tmp_path / "history.sqlite")
    yield h
    h.close()


def config(tmp_path: Path, actions: dict | None = None, notify: dict | None = None, **trig: object) -> LoadedConfig:
    model = NestgateConfig.model_validate({"watch": {"actions": actions or {}, "notify": notify or {}, "triggers": {
        "service_down_s": 6, "memory_for_s": 6, "errors_window_s": 10, "auth_window_s": 30, "auth_failures": 20,
        "restart_grace_s": 1000, "unavailable_s": 6, "breach_window_s": 60, **trig}}})
    return LoadedConfig(model, tmp_path / "nestgate.toml")


def level3(h: History) -> list[tuple[str, str]]:
    return [(e.trigger, e.subject) for e in h.events() if e.level == 3]


def sample_all(h: History, t: float, up: float, ok: float) -> None:
    h.add_samples(T0 + t, [*(Sample("service.up", s, up) for s in SERVICES),
                           Sample("http.ok", "/health", ok), Sample("http.ok", "/api/v1/health", ok)])


# -- complete unavailability --------------------------------------------------------------------------
def test_every_endpoint_failing_fires_at_its_window_and_one_answering_endpoint_holds_it(history, tmp_path):
    cfg = config(tmp_path, service_down_s=1000)
    for t in (0, 2, 4):
        put(history, t, "http.ok", "/health", 0)
        put(history, t, "http.ok", "/api/v1/health", 1)  # one endpoint still answers: not complete
        fired(history, cfg, t)
    for t in (6, 8, 10, 11.9):
        put(history, t, "http.ok", "/health", 0)
        put(history, t, "http.ok", "/api/v1/health", 0)  # both fail from t=6
        assert all(e[0] != 3 for e in fired(history, cfg, t)), t
    put(history, 12, "http.ok", "/health", 0)
    put(history, 12, "http.ok", "/api/v1/health", 0)
    assert (3, "complete-unavailability", "stack") in fired(history, cfg, 12)  # 6 s after both failed
    event = history.events(trigger="complete-unavailability")[0]
    assert event.detail["measured"] == 6.0 and event.detail["endpoints"] == ["/api/v1/health", "/health"]
    for t in (14, 16):  # the same outage: no second event
        put(history, t, "http.ok", "/health", 0)
        put(history, t, "http.ok", "/api/v1/health", 0)
        assert fired(history, cfg, t) == []


# -- system-wide failure, and one rollback for all of it ------------------------------------------------
def test_all_services_down_fires_level3_and_rolls_back_once(history, tmp_path):
    log = tmp_path / "rollbacks.txt"
    cmd = [sys.executable, "-c", f"open({str(log)!r}, 'a').write('rolled back\\n')"]
    cfg = config(tmp_path, actions={"rollback_command": cmd})
    got = {}
    for t in range(0, 20, 2):
        sample_all(history, t, 0, 0)
        got[t] = fired(history, cfg, t)
    assert [e for e in got[4] if e[0] == 3] == []  # 4 s: under both windows
    assert (3, "system-wide-failure", "stack") in got[6] and (3, "complete-unavailability", "stack") in got[6]
    assert log.read_text() == "rolled back\n"  # two Level 3 triggers, one rollback
    runs = [a for e in history.events() for a in e.actions if a["action"] == "rollback"]
    assert [a["ran"] for a in runs] == [True, False] and "cooldown" in runs[1]["reason"]
    assert runs[0]["ok"] is True and runs[0]["within_limit"] is True and runs[0]["limit_s"] == 300.0
    assert sorted(level3(history)) == [("complete-unavailability", "stack"), ("system-wide-failure", "stack")]


def test_one_service_in_four_down_is_not_system_wide(history, tmp_path):
    cfg = config(tmp_path)
    for t in range(0, 20, 2):
        history.add_samples(T0 + t, [Sample("service.up", "app", 0),
                                     *(Sample("service.up", s, 1) for s in SERVICES[1:])])
        fired(history, cfg, t)
    assert level3(history) == [] and history.events(trigger="service-down")


def test_a_failing_rollback_command_is_recorded_failed(history, tmp_path):
    cfg = config(tmp_path, actions={"rollback_command": [sys.executable, "-c", "raise SystemExit(3)"]})
    for t in range(0, 8, 2):
        sample_all(history, t, 0, 0)
        fired(history, cfg, t)
    [run] = [a for e in history.events() for a in e.actions if a["action"] == "rollback" and a["ran"]]
    assert run["ok"] is False and run["within_limit"] is False and "3" in run["message"]


# -- security breach confirmed ----------------------------------------------------------------------------
def _alert(source: str) -> Sample:
    return Sample("security.alerts", "monitor", 1, {"alerts": [{"kind": "auth-failures", "source": source}]})


def test_an_alert_alone_is_not_a_breach(history, tmp_path):
    cfg = config(tmp_path)
    history.add_samples(T0, [_alert("app")])
    assert fired(history, cfg, 0) == [(1, "security-alert", "monitor")]
    assert level3(history) == []


def test_an_alert_confirmed_by_auth_failures_of_its_service_is_a_breach(history, tmp_path):
    cfg = config(tmp_path)
    history.add_samples(T0, [_alert("app")])
    fired(history, cfg, 0)
    history.add_samples(T0 + 30, [Sample("auth.failures", "app", 25)])
    assert (3, "security-breach-confirmed", "app") in fired(history, cfg, 30)
    event = history.events(trigger="security-breach-confirmed")[0]
    assert event.detail["confirmed_by"] == "auth-failures" and event.detail["measured"] == 30.0
    history.add_samples(T0 + 40, [Sample("auth.failures", "app", 25)])
    assert fired(history, cfg, 40) == []  # the same alert is not confirmed twice


def test_confirmation_of_another_service_or_outside_the_window_is_no_breach(history, tmp_path):
    cfg = config(tmp_path)
    history.add_samples(T0, [_alert("app")])
    fired(history, cfg, 0)
    history.add_samples(T0 + 10, [Sample("auth.failures", "nginx", 25)])  # another service
    fired(history, cfg, 10)
    history.add_samples(T0 + 200, [Sample("auth.failures", "app", 25)])  # 200 s later: outside 60 s
    fired(history, cfg, 200)
    assert history.events(trigger="auth-failures") and level3(history) == []


# -- data integrity -----------------------------------------------------------------------------------------
def test_a_failed_integrity_control_in_a_round_fires_once_per_round(history, tmp_path):
    cfg = config(tmp_path)
    run_id = history.start_run(T0, "INF-09")
    history.add_result(Result(run_id, T0 + 1, "INF-09", "test_indexes[INF-09]", "passed", 0.1, "", {}))
    history.finish_run(run_id, T0 + 2, 0, "GO")
    put(history, 3, "service.up", "app", 1)
    assert fired(history, cfg, 3) == []
    run_id = history.start_run(T0 + 4, "INF-09")
    history.add_result(Result(run_id, T0 + 5, "INF-09", "test_orphans[INF-09]", "failed", 0.1,
                              "orders.customer_id: 1 orphan row", {}))
    history.finish_run(run_id, T0 + 6, 1, "NO-GO")
    put(history, 7, "service.up", "app", 1)
    assert fired(history, cfg, 7) == [(3, "data-integrity", "INF-09")]
    assert "1 orphan row" in history.events(trigger="data-integrity")[0].detail["failures"][0]
    put(history, 9, "service.up", "app", 1)
    assert fired(history, cfg, 9) == []


# -- per-level routes -----------------------------------------------------------------------------------------
def test_each_level_is_told_on_its_own_route(history, tmp_path):
    inbox = {n: tmp_path / f"level{n}.jsonl" for n in (1, 3)}

    def route(n: int) -> dict:
        return {"command": [sys.executable, "-c",
                            f"import sys; open({str(inbox[n])!r}, 'a').write(sys.stdin.read() + '\\n')"]}

    cfg = config(tmp_path, notify={"level1": route(1), "level3": route(3)})
    for t in range(0, 8, 2):
        sample_all(history, t, 0, 0)
        fired(history, cfg, t)
    told = {n: [json.loads(line) for line in inbox[n].read_text().splitlines()] for n in inbox}
    assert {m["level"] for m in told[1]} == {1} and len(told[1]) == len(SERVICES)
    assert {(m["level"], m["trigger"]) for m in told[3]} == {(3, "system-wide-failure"),
                                                             (3, "complete-unavailability")}
