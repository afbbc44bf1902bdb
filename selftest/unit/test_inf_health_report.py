"""INF-03/INF-04 rules: finding a status in a health JSON body and judging it; SELECT 1, PING,
an app's database report, a health endpoint's answer."""

from nestgate.probes.data_clients import RedisPing
from nestgate.rules.inf03_database import (
    MISSING,
    app_report_findings,
    is_healthy,
    json_at,
    ping_findings,
    reported_status,
    select_one_findings,
    status_of,
)
from nestgate.rules.inf04_health import body_status, health_findings, unresponsive

HEALTHY = ["healthy", "ok", "up"]


def test_json_at_dicts_and_named_list_elements():
    body = {"status": "ready", "checks": [{"name": "database", "status": "ok"}, {"name": "cache", "status": "down"}]}
    assert json_at(body, "checks.database") == {"name": "database", "status": "ok"}
    assert json_at(body, "checks.cache.status") == "down"
    assert json_at(body, "checks.queue") is MISSING
    assert json_at({"checks": {"database": {"status": "ok"}}}, "checks.database.status") == "ok"
    assert json_at({"checks": "x"}, "checks.database") is MISSING


def test_status_of_strings_objects_and_bools():
    assert status_of("ok") == "ok"
    assert status_of({"status": "degraded"}) == "degraded"
    assert status_of({"state": "up"}, "state") == "up"
    assert status_of(True) == "up" and status_of(False) == "down"
    assert status_of({"status": 3}) is None and status_of(None) is None


def test_is_healthy_is_case_insensitive_and_rejects_degraded():
    assert is_healthy("OK", HEALTHY) and is_healthy(" healthy ", HEALTHY)
    assert not is_healthy("degraded", HEALTHY) and not is_healthy("", HEALTHY)


def test_reported_and_body_status():
    body = {"status": "ok", "checks": {"database": {"status": "degraded"}}}
    assert reported_status(body, "checks.database") == "degraded"
    assert reported_status(body, "checks.cache") is None and reported_status(None, "checks.database") is None
    assert body_status(body, "status") == "ok"
    assert body_status(["ok"], "status") is None and body_status(None, "status") is None


def test_select_1():
    where = "postgresql://medianest@10.0.9.3:5432/medianest (network inf_data, from inside container c)"
    assert select_one_findings("postgres", where, True, 0, "1", "") == []
    [f] = select_one_findings("postgres", where, False, 2, "", "password authentication failed")
    assert (f.subject, f.property, f.measured, f.expected) == ("PostgreSQL service postgres", "SELECT 1", "", "1")
    assert str(f) == (f"PostgreSQL service postgres: {where} did not answer SELECT 1 (exit 2, answer ''): "
                      "password authentication failed")
    assert select_one_findings("postgres", where, True, 0, "0", "")[0].measured == "0"


def test_ping_names_where_the_password_came_from_and_what_redis_said():
    where = "10.0.9.4:6379 (network inf_data, from inside container r)"
    ok = RedisPing("r", "inf_data", "10.0.9.4", 6379, "PONG", 0, "PONG")
    assert ping_findings("redis", where, ok, "file secrets/redis_password") == []
    noauth = RedisPing("r", "inf_data", "10.0.9.4", 6379, "NOAUTH Authentication required.", 0,
                       "NOAUTH Authentication required.")
    [f] = ping_findings("redis", where, noauth, "file secrets/redis_password_stale")
    assert (f.subject, f.property, f.measured, f.expected) == (
        f"Redis service redis at {where}", "PING", "NOAUTH Authentication required.", "PONG")
    assert f.sentence == ("did not answer PING with the password from file secrets/redis_password_stale: "
                          "answered 'NOAUTH Authentication required.'")
    refused = RedisPing("r", "inf_data", "10.0.9.4", 6379, "", 1, "Could not connect to Redis")
    assert ping_findings("redis", where, refused, "env $X")[0].sentence.endswith(
        "answered '' (redis-cli: Could not connect to Redis)")


def test_app_report_findings():
    def judge(body, status):
        return app_report_findings("app", "GET http://x/api/health", 200, body, "<html>", "checks.database",
                                   status, HEALTHY)
    assert judge({"checks": {"database": "ok"}}, "ok") == []
    [f] = judge(None, None)
    assert (f.subject, f.property, f.measured) == ("app service app", "JSON body", None)
    assert str(f) == ("app service app: GET http://x/api/health answered HTTP 200 without a JSON body ('<html>'): "
                      "no database report")
    [f] = judge({}, None)
    assert (f.property, f.measured, f.expected) == ("checks.database", None, "a status")
    assert f.sentence == "GET http://x/api/health (HTTP 200) has no status at 'checks.database': no database report"
    [f] = judge({"checks": {"database": "down"}}, "down")
    assert (f.property, f.measured, f.expected) == ("checks.database", "down", "one of healthy, ok, up")
    assert f.sentence == ("reports its database 'down' at checks.database of GET http://x/api/health (HTTP 200); "
                          "expected one of healthy, ok, up")


def test_health_endpoint_findings():
    assert health_findings("/health", 200, 0.1, 5, "", "ok", "status", HEALTHY) == []
    assert health_findings("/health", 204, 0.1, 5, "", None, "status", HEALTHY) == []
    [f] = health_findings("/api/media/health", 200, 0.1, 10, "", "degraded", "status", HEALTHY)
    assert (f.subject, f.property, f.measured, f.expected) == (
        "health endpoint /api/media/health", "status", "degraded", "one of healthy, ok, up")
    assert str(f) == ("health endpoint /api/media/health: answered HTTP 200 but its body says status='degraded' "
                      "(expected one of healthy, ok, up)")
    found = health_findings("/health", 503, 6.5, 5, "busy", "down", "status", HEALTHY)
    assert [(f.property, f.measured) for f in found] == [("HTTP status", 503), ("seconds", 6.5), ("status", "down")]
    assert [f.sentence for f in found[:2]] == ["answered HTTP 503 (expected 2xx): 'busy'", "took 6.50 s (timeout 5 s)"]


def test_an_endpoint_that_never_answers():
    f = unresponsive("/api/media/health", 10.04, 10, "GET http://x/api/media/health: no answer within 10 s")
    assert (f.subject, f.property, f.measured, f.expected) == (
        "health endpoint /api/media/health", "answered", False, "2xx within 10 s")
    assert str(f) == ("health endpoint /api/media/health: not responsive after 10.0 s (timeout 10 s): "
                      "GET http://x/api/media/health: no answer within 10 s")
