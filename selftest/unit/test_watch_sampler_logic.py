"""The sampler's pure parts: which alerts are new, the persisted state, the list-API health, the line."""

import pytest

from nestgate.probes.engine import container_from_list
from nestgate.probes.monitor_alerts import Alert, alert_from_raw
from nestgate.watch.history import HistoryError, Sample
from nestgate.watch.loop import summary
from nestgate.watch.sampler import SamplerState, is_test_alert, new_alerts


def _alert(i: int, at: str = "2030-01-01T00:00:00.000+00:00", kind: str = "auth-failures") -> Alert:
    return Alert(i, kind, "app", at, "x")


def test_only_alerts_after_the_last_seen_are_new():
    alerts = [_alert(1), _alert(2), _alert(3)]
    assert [a.id for a in new_alerts(alerts, {"id": 2, "raised_at": alerts[1].raised_at}, 0.0)] == [3]
    assert new_alerts(alerts, {"id": 3, "raised_at": alerts[2].raised_at}, 0.0) == []


def test_a_restarted_monitor_numbering_again_from_1_makes_every_listed_alert_new():
    before = {"id": 2, "raised_at": "2030-01-01T00:00:00.000+00:00"}
    restarted = [_alert(1, "2030-01-01T01:00:00.000+00:00"), _alert(2, "2030-01-01T01:00:05.000+00:00")]
    assert [a.id for a in new_alerts(restarted, before, 0.0)] == [1, 2]
    assert [a.id for a in new_alerts([_alert(1)], before, 0.0)] == [1]  # id 2 is gone


def test_the_first_read_counts_alerts_raised_since_the_given_time():
    alerts = [_alert(1, "2030-01-01T00:00:00Z"), _alert(2, "2030-01-01T00:01:00Z")]
    since = 1893456030.0  # 2030-01-01T00:00:30Z
    assert [a.id for a in new_alerts(alerts, None, since)] == [2]
    assert [a.id for a in new_alerts(alerts, {"id": 0, "raised_at": ""}, since)] == [1, 2]  # was empty before


def test_test_alerts_are_recognised_by_kind():
    assert is_test_alert(alert_from_raw({"id": 4, "kind": "test", "source": "api"}))
    assert not is_test_alert(alert_from_raw({"id": 5, "kind": "auth-failures", "source": "app"}))
    assert alert_from_raw({"id": "x"}).id == 0


def test_state_round_trips_through_the_meta_json():
    state = SamplerState(last_sample=12.5, log_since={"abc": 11.0}, logs_done={"old"},
                         last_alert={"id": 3, "raised_at": "t"})
    again = SamplerState.from_meta(state.to_meta())
    assert again.to_meta() == state.to_meta()
    assert SamplerState.from_meta(None).to_meta() == SamplerState().to_meta()


def test_a_malformed_saved_state_is_a_history_error():
    with pytest.raises(HistoryError, match="sampler_state"):
        SamplerState.from_meta({"last_sample": "soon"})


@pytest.mark.parametrize(("status", "health"), [("Up 3 minutes (healthy)", "healthy"),
                                                ("Up 3 seconds (health: starting)", "starting"),
                                                ("Up 9 minutes (unhealthy)", "unhealthy"),
                                                ("Up 2 hours", ""), ("Exited (1) 5 minutes ago", "")])
def test_health_from_the_container_list_status(status, health):
    c = container_from_list({"Id": "f" * 64, "Names": ["/s_app.1.x"], "State": "running", "Status": status}, "app")
    assert (c.health, c.name, c.service) == (health, "s_app.1.x", "app")


def test_summary_line_names_down_services_and_unavailable_signals():
    line = summary([Sample("service.up", "app", 1.0), Sample("service.up", "redis", 0.0, {"error": "gone"}),
                    Sample("memory.percent", "app", 42.0), Sample("log.errors", "app", 3.0),
                    Sample("log.errors", "redis", -1.0, {"error": "gone"}), Sample("http.ok", "/h", 1.0),
                    Sample("http.response_s", "/h", 0.25)])
    assert "up 1/2 (down: redis)" in line and "memory max 42.0% (app)" in line and "errors 3" in line
    assert "http 1/1 ok (max 0.250 s)" in line and "2 unavailable: service.up redis: gone" in line
