"""App behaviour faults: one environment knob each, all applied with one app update."""

from __future__ import annotations

from nestgate.testbed import Testbed
from selftest.testbed.conftest import container, http, login

GROUP = ["auth-logout-keeps-token", "auth-any-password", "slow-api", "unhealthy-health-body",
         "error-burst", "pool-unbounded", "placeholder-env", "slow-health"]


def test_app_faults_apply_and_remove(tb: Testbed) -> None:
    tb.apply_faults(GROUP)
    try:
        # auth-any-password: a wrong password for the test account gets a token.
        assert login(tb, "not-the-password").status == 200
        # auth-logout-keeps-token: logout answers 200, the token keeps working.
        token = login(tb).body["data"]["token"]
        assert http(tb, "/api/auth/logout", "POST", token=token).status == 200
        assert http(tb, "/api/auth/session", token=token).status == 200
        # slow-api: /api/health over 2 s, the health endpoints stay fast.
        assert http(tb, "/api/health").seconds > 2.0
        assert http(tb, "/health").seconds < 1.0 and http(tb, "/api/auth/health").seconds < 1.0
        # pool-unbounded: the app reports no pool limit.
        assert http(tb, "/api/health").body["database_pool"]["max"] is None
        # slow-health: /api/media/health does not answer within the endpoints' 10 s timeout.
        try:
            reply = http(tb, "/api/media/health", timeout=10)
            assert reply.seconds >= 10, reply
        except TimeoutError:
            pass
        app = container(tb, "app")
        env = dict(e.split("=", 1) for e in app.attrs["Config"]["Env"])
        assert env["PLEX_SERVER_URL"] == "changeme" and env["DB_POOL_MAX"] == "0"
        assert env["MEDIA_INDEX_STATE"] == "stale"
        logs = app.logs(tail=3000).decode()
        assert logs.count("ERROR plex-sync") >= 1200
    finally:
        tb.remove_faults(GROUP)
    assert login(tb, "not-the-password").status == 401
    assert http(tb, "/api/health").seconds < 1.0
    assert http(tb, "/api/media/health").body["status"] == "healthy"
    assert "ERROR" not in container(tb, "app").logs().decode()


def test_unhealthy_health_body_alone(tb: Testbed) -> None:
    """200 with status degraded, while the container's own healthcheck stays healthy."""
    with tb.fault("unhealthy-health-body"):
        reply = http(tb, "/api/media/health")
        assert reply.status == 200 and reply.body["status"] == "degraded"
        assert container(tb, "app").attrs["State"]["Health"]["Status"] == "healthy"
