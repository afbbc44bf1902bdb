"""Level 1 / Level 2 triggers over synthetic histories in a real SQLite file: windows (just before
and just after), one event per incident, re-arming after the condition clears, restart safety."""

from __future__ import annotations

from pathlib import Path

import pytest

from nestgate.config import LoadedConfig
from nestgate.config.model import NestgateConfig
from nestgate.watch import triggers as tr
from nestgate.watch.escalation import escalate
from nestgate.watch.history import History, Sample

T0 = 1_700_000_000.0


def config(tmp_path: Path, actions: dict | None = None, **trig: object) -> LoadedConfig:
    model = NestgateConfig.model_validate({"watch": {"actions": actions or {}, "triggers": {
        "service_down_s": 6, "memory_for_s": 6, "errors_window_s": 10, "auth_window_s": 30, "auth_failures": 20,
        "restart_grace_s": 10, **trig}}})
    return LoadedConfig(model, tmp_path / "nestgate.toml")


@pytest.fixture
def history(tmp_path: Path):
    h = History(tmp_path / "history.sqlite")
    yield h
    h.close()


def put(h: History, t: float, signal: str, subject: str, value: float) -> None:
    h.add_samples(T0 + t, [Sample(signal, subject, value)])


def fired(h: History, cfg: LoadedConfig, t: float) -> list[tuple[int, str, str]]:
    return [(e.level, e.trigger, e.subject) for e in escalate(h, cfg, T0 + t)]


def run_series(h: History, cfg: LoadedConfig, signal: str, subject: str,
               points: list[tuple[float, float]]) -> dict[float, list[tuple[int, str, str]]]:
    """Record each sample and escalate right after it, as the watcher does; what fired when."""
    out = {}
    for t, value in points:
        put(h, t, signal, subject, value)
        out[t] = fired(h, cfg, t)
    return out


# -- service down ------------------------------------------------------------------------------------
def test_service_down_fires_after_its_window_not_before(history, tmp_path):
    cfg = config(tmp_path)
    got = run_series(history, cfg, "service.up", "app", [(0, 1), (2, 1), (4, 0), (6, 0), (8, 0)])
    assert all(not v for v in got.values())
    put(history, 9.9, "service.up", "app", 0)
    assert fired(history, cfg, 9.9) == []  # 5.9 s after the first down sample
    put(history, 10, "service.up", "app", 0)
    assert fired(history, cfg, 10) == [(1, "service-down", "app")]  # 6.0 s: the window is reached
    event = history.events()[0]
    assert event.detail["measured"] == 6.0 and event.detail["threshold"] == 6 and event.detail["window_s"] == 6
    assert event.detail["since"] == T0 + 4 and event.detail["unit"] == "s down"


def test_an_up_sample_inside_the_window_restarts_it(history, tmp_path):
    cfg = config(tmp_path)
    got = run_series(history, cfg, "service.up", "app", [(0, 0), (2, 0), (4, 0), (5, 1), (6, 0), (10, 0), (12, 0)])
    assert [t for t, v in got.items() if v] == [12]


def test_service_down_fires_once_per_incident_and_rearms_after_recovery(history, tmp_path):
    cfg = config(tmp_path)
    got = run_series(history, cfg, "service.up", "app",
                     [(t, 0) for t in range(0, 30, 2)] + [(30, 1), (32, 1)] + [(t, 0) for t in range(34, 50, 2)])
    assert [t for t, v in got.items() if v] == [6, 40]
    assert len(history.events(trigger="service-down")) == 2


def test_a_restarted_watcher_does_not_fire_again_for_the_same_incident(tmp_path):
    cfg = config(tmp_path)
    h = History(tmp_path / "history.sqlite")
    run_series(h, cfg, "service.up", "app", [(t, 0) for t in range(0, 12, 2)])
    assert len(h.events()) == 1
    h.close()
    h = History(tmp_path / "history.sqlite")  # the watcher restarted
    got = run_series(h, cfg, "service.up", "app", [(t, 0) for t in range(12, 20, 2)])
    assert not any(got.values()) and len(h.events()) == 1
    h.close()


def test_an_incident_longer_than_the_loaded_range_is_still_one_incident(history, tmp_path):
    cfg = config(tmp_path)  # the first load covers 2 x the longest window (30 s) + 60 s = 120 s
    run_series(history, cfg, "service.up", "app", [(t, 0) for t in range(0, 400, 10)])
    assert len(history.events()) == 1


def test_an_incident_that_began_while_the_watcher_was_away_fires(history, tmp_path):
    cfg = config(tmp_path)
    run_series(history, cfg, "service.up", "app", [(0, 0), (10, 0)])  # fired at 10
    # the watcher was away: the service came back, went down again, and stayed down (no escalation)
    for t in range(20, 400, 10):
        put(history, t, "service.up", "app", 1 if t < 30 else 0)
    assert fired(history, cfg, 400) == [(1, "service-down", "app")]
    assert history.events()[-1].detail["since"] == T0 + 30


# -- memory ----------------------------------------------------------------------------------------
def test_memory_high_for_its_window_not_before_and_at_the_threshold_is_not_above(history, tmp_path):
    cfg = config(tmp_path)  # above 80 % for 6 s
    got = run_series(history, cfg, "memory.percent", "monitor",
                     [(0, 80.0), (2, 92.0), (4, 91.0), (6, -1.0), (7.9, 93.0), (8, 93.0), (10, 95.0), (12, 60.0),
                      (14, 85.0), (20, 85.0)])
    # the failed read at 6 (-1) neither breaks the run nor counts as high
    assert [t for t, v in got.items() if v] == [8, 20]
    first = history.events()[0]
    assert first.detail["measured"] == 93.0 and first.detail["threshold"] == 80 and first.detail["window_s"] == 6
    assert first.detail["since"] == T0 + 2


# -- error rate --------------------------------------------------------------------------------------
def test_error_rate_counts_the_window_only(history, tmp_path):
    cfg = config(tmp_path)  # more than 10 errors/min over 10 s: 2 or more lines in the window
    put(history, 0, "log.errors", "app", 1)
    assert fired(history, cfg, 0) == []  # 6/min
    put(history, 9.9, "log.errors", "app", 1)
    assert fired(history, cfg, 9.9) == [(1, "error-rate", "app")]  # 2 in (−0.1, 9.9]: 12/min
    event = history.events()[0]
    assert event.detail == {"measured": 12.0, "threshold": 10, "window_s": 10, "unit": "errors/min", "count": 2,
                            "samples": 2}


def test_error_lines_older_than_the_window_do_not_count(history, tmp_path):
    cfg = config(tmp_path)
    put(history, 0, "log.errors", "app", 1)
    put(history, 10, "log.errors", "app", 1)
    assert fired(history, cfg, 10) == []  # the line at 0 left the window (10 - 10 = 0 is outside)
    put(history, 12, "log.errors", "app", -1)  # a failed read adds nothing
    assert fired(history, cfg, 12) == []


def test_error_burst_is_one_incident_while_it_lasts_then_rearms(history, tmp_path):
    cfg = config(tmp_path)
    points = [(0, 1200), *[(t, 1) for t in range(2, 20, 2)], *[(t, 0) for t in range(20, 34, 2)], (34, 50)]
    got = run_series(history, cfg, "log.errors", "app", points)
    assert [t for t, v in got.items() if v] == [0, 34]


# -- auth failures -------------------------------------------------------------------------------------
def test_auth_failures_more_than_the_limit_within_the_window(history, tmp_path):
    cfg = config(tmp_path)  # more than 20 within 30 s
    got = run_series(history, cfg, "auth.failures", "app", [(0, 10), (10, 10), (20, 0), (29.9, 1)])
    assert [t for t, v in got.items() if v] == [29.9]
    assert history.events()[0].detail["measured"] == 21 and history.events()[0].detail["window_s"] == 30
    history2 = History(tmp_path / "h2.sqlite")
    got = run_series(history2, cfg, "auth.failures", "app", [(0, 10), (10, 10), (30, 1)])  # 0 left the window
    assert not any(got.values())
    history2.close()


# -- security alerts -----------------------------------------------------------------------------------
def test_security_alert_fires_per_raise_and_rearms_after_a_quiet_sample(history, tmp_path):
    cfg = config(tmp_path)
    got = run_series(history, cfg, "security.alerts", "monitor", [(0, 0), (2, 1), (4, 2), (6, -1), (8, 0), (10, 1)])
    assert [t for t, v in got.items() if v] == [2, 10]


def test_security_alerts_can_be_turned_off(history, tmp_path):
    cfg = config(tmp_path, security_alerts=False)
    got = run_series(history, cfg, "security.alerts", "monitor", [(0, 3)])
    assert not any(got.values())


# -- Level 2: restart failed ---------------------------------------------------------------------------
def _restart_event(h: History, t: float, service: str = "app", ok: bool = True) -> int:
    return h.add_event(T0 + t, 1, "service-down", service, {"measured": 6},
                       [{"action": "restart", "ts": T0 + t, "service": service, "ok": ok}])


def test_restart_failed_after_the_grace_not_before(history, tmp_path):
    cfg = config(tmp_path, service_down_s=1000)  # keep Level 1 service-down out of this test
    restart_id = _restart_event(history, 0)
    for t in range(2, 10, 2):
        put(history, t, "service.up", "app", 0)
        assert fired(history, cfg, t) == []
    put(history, 9.9, "service.up", "app", 0)
    assert fired(history, cfg, 9.9) == []
    put(history, 10, "service.up", "app", 0)
    assert fired(history, cfg, 10) == [(2, "restart-failed", "app")]
    event = history.events(trigger="restart-failed")[0]
    assert event.detail["restart_event"] == restart_id and event.detail["threshold"] == 10
    put(history, 12, "service.up", "app", 0)
    assert fired(history, cfg, 12) == []  # judged once per restart


def test_a_restart_that_brought_the_service_back_is_not_escalated(history, tmp_path):
    cfg = config(tmp_path, service_down_s=1000)
    _restart_event(history, 0)
    run_series(history, cfg, "service.up", "app", [(2, 0), (6, 1), (8, 1)])
    assert fired(history, cfg, 20) == []


def test_a_service_back_only_after_the_grace_is_escalated(history, tmp_path):
    cfg = config(tmp_path, service_down_s=1000)
    _restart_event(history, 0)
    put(history, 10.5, "service.up", "app", 1)
    assert fired(history, cfg, 10.5) == [(2, "restart-failed", "app")]


# -- Level 2: several services -------------------------------------------------------------------------
def test_multiple_services_with_level1_at_once(history, tmp_path):
    cfg = config(tmp_path)  # 2 services at once
    for t in range(0, 12, 2):
        put(history, t, "service.up", "redis", 0)
        history.add_samples(T0 + t, [Sample("memory.percent", "monitor", 95.0 if t >= 4 else 50.0)])
        got = fired(history, cfg, t)
        if t == 6:
            assert got == [(1, "service-down", "redis")]
        elif t == 10:  # monitor has been high for 6 s: two services now
            assert got == [(1, "memory-high", "monitor"), (2, "multiple-services", "stack")]
        else:
            assert got == []
    event = history.events(trigger="multiple-services")[0]
    assert event.detail["measured"] == 2 and event.detail["services"] == {
        "monitor": ["memory-high"], "redis": ["service-down"]}
    # still both: no new event; redis back: cleared; redis down again for its window: a new one
    for t, up in [(12, 0), (14, 1), (16, 0), (18, 0), (20, 0), (22, 0)]:
        history.add_samples(T0 + t, [Sample("service.up", "redis", up), Sample("memory.percent", "monitor", 95.0)])
        got = fired(history, cfg, t)
        assert got == ([(1, "service-down", "redis"), (2, "multiple-services", "stack")] if t == 22 else [])


# -- Level 2: response time against the post-deploy baseline ---------------------------------------------
def _http(h: History, t: float, endpoint: str, seconds: float, ok: bool = True) -> None:
    h.add_samples(T0 + t, [Sample("http.response_s", endpoint, seconds),
                           Sample("http.ok", endpoint, 1.0 if ok else 0.0)])


def test_baseline_is_the_median_of_the_first_answered_samples_and_survives_a_restart(tmp_path):
    cfg = config(tmp_path, baseline_samples=3, degradation_percent=50, degradation_for_s=0)
    h = History(tmp_path / "history.sqlite")
    h.set_meta("watch_start", T0 + 1)
    _http(h, 0, "/health", 9.0)            # before the watch started
    _http(h, 2, "/health", 5.0, ok=False)  # an error answer is not a baseline sample
    _http(h, 3, "/health", -1.0, ok=False)  # no answer either
    for t, s in [(4, 0.10), (6, 0.30), (8, 0.20)]:
        _http(h, t, "/health", s)
        fired(h, cfg, t)
    stored = h.get_meta(tr.BASELINE_KEY)
    assert stored["/health"]["median_s"] == 0.20 and stored["/health"]["samples_s"] == [0.10, 0.30, 0.20]
    h.close()
    h = History(tmp_path / "history.sqlite")  # restarted; the next samples would give another median
    _http(h, 10, "/health", 0.29)
    assert fired(h, cfg, 10) == []  # 45 % over 0.20
    assert h.get_meta(tr.BASELINE_KEY)["/health"]["median_s"] == 0.20
    _http(h, 12, "/health", 0.31)
    assert fired(h, cfg, 12) == [(2, "response-degraded", "/health")]  # 55 %
    event = h.events(trigger="response-degraded")[0]
    assert event.detail["measured"] == 55.0 and event.detail["baseline_s"] == 0.20 and event.detail["threshold"] == 50
    _http(h, 14, "/health", 0.5)
    assert fired(h, cfg, 14) == []  # same incident
    _http(h, 16, "/health", 0.2)
    _http(h, 18, "/health", -1.0, ok=False)
    fired(h, cfg, 16)
    assert fired(h, cfg, 18) == [(2, "response-degraded", "/health")]  # no answer is degraded
    h.close()


def test_millisecond_jitter_under_the_floor_is_never_degraded(history, tmp_path):
    cfg = config(tmp_path, baseline_samples=1, degradation_for_s=0)  # floor: 0.2 s (default)
    _http(history, 0, "/health", 0.005)
    fired(history, cfg, 0)
    got = []
    for t, s in [(2, 0.015), (4, 0.19), (6, 0.012)]:  # +200 % .. +3700 %, all under the floor
        _http(history, t, "/health", s)
        got += fired(history, cfg, t)
    assert got == []
    _http(history, 8, "/health", 0.25)  # over the floor and over +50 %
    assert fired(history, cfg, 8) == [(2, "response-degraded", "/health")]
    assert history.events(trigger="response-degraded")[0].detail["floor_s"] == 0.2


def test_no_degradation_trigger_before_a_baseline_exists(history, tmp_path):
    cfg = config(tmp_path, baseline_samples=3)
    _http(history, 0, "/health", 0.1)
    _http(history, 2, "/health", 5.0)
    assert fired(history, cfg, 2) == []
    assert history.get_meta(tr.BASELINE_KEY) in (None, {})


def test_degradation_sustained_for_its_window(history, tmp_path):
    cfg = config(tmp_path, baseline_samples=1, degradation_for_s=4)
    _http(history, 0, "/health", 0.1)
    fired(history, cfg, 0)
    got = {}
    for t in (2, 4, 5.9, 6):
        _http(history, t, "/health", 0.5)
        got[t] = fired(history, cfg, t)
    assert [t for t, v in got.items() if v] == [6]


# -- the detail names what was measured ------------------------------------------------------------------
def test_every_level1_detail_names_measured_threshold_window_and_unit(history, tmp_path):
    cfg = config(tmp_path)
    for t in range(0, 40, 2):
        history.add_samples(T0 + t, [Sample("service.up", "app", 0), Sample("memory.percent", "app", 99.0),
                                     Sample("log.errors", "app", 5), Sample("auth.failures", "app", 5),
                                     Sample("security.alerts", "monitor", 1), Sample("service.up", "redis", 0)])
        fired(history, cfg, t)
    events = history.events()
    assert {e.trigger for e in events} >= set(tr.LEVEL1) | {"multiple-services"}
    for e in events:
        assert {"measured", "threshold", "window_s", "unit"} <= set(e.detail), e
    assert len(events) == len({(e.trigger, e.subject) for e in events})  # one per incident


def test_details_carry_an_example_line_and_the_alerts(history, tmp_path):
    cfg = config(tmp_path)
    history.add_samples(T0, [Sample("auth.failures", "app", 25, {"example": "authentication failed user='x'"}),
                             Sample("security.alerts", "monitor", 1, {"alerts": [{"kind": "auth-failures"}]})])
    fired(history, cfg, 0)
    by = {e.trigger: e for e in history.events()}
    assert by["auth-failures"].detail["example"] == "authentication failed user='x'"
    assert by["security-alert"].detail["alerts"] == [{"kind": "auth-failures"}]


# -- actions that cannot be delivered are recorded, never raised --------------------------------------------
def test_failed_notifications_are_recorded_and_the_payload_is_redacted(history, tmp_path):
    import socket

    from nestgate.redact import MASK, REDACTOR

    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    canary = "canary-" + "7f3a9c1e5b"
    REDACTOR.add(canary)
    cfg = config(tmp_path, actions={"notify_webhook": f"http://127.0.0.1:{port}/hook/{canary}",
                                    "notify_command": ["/nonexistent/notify-tool"], "notify_timeout_s": 2})
    history.add_samples(T0, [Sample("auth.failures", "app", 25, {"example": f"authentication failed user={canary}"})])
    events = escalate(history, cfg, T0)
    assert [e.trigger for e in events] == ["auth-failures"]
    actions = {a["action"]: a for a in history.events()[0].actions}
    assert actions["notify-webhook"]["ok"] is False and "unreachable" in actions["notify-webhook"]["message"]
    assert actions["notify-webhook"]["to"] == f"http://127.0.0.1:{port}"  # the path may be the credential
    assert actions["notify-command"]["ok"] is False and "not found" in actions["notify-command"]["message"]
    stored = history.events()[0]
    assert canary not in repr(stored) and MASK in stored.detail["example"]


def test_a_security_alert_does_not_count_its_monitor_as_an_affected_service(history, tmp_path):
    cfg = config(tmp_path)  # auth failures on app and the monitor's alert about them: one service
    history.add_samples(T0, [Sample("auth.failures", "app", 25), Sample("security.alerts", "monitor", 1)])
    assert fired(history, cfg, 0) == [(1, "auth-failures", "app"), (1, "security-alert", "monitor")]
