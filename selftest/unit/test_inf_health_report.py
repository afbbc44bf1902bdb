"""INF-03/INF-04 logic: finding a status in a health JSON body and judging it."""

from nestgate.rules.inf03_database import MISSING, is_healthy, json_at, status_of

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
