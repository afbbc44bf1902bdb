"""App behaviour faults: one environment knob each, all applied with one app update."""

from __future__ import annotations

import pytest

from nestgate.rules.sec03_auth import forgeries
from nestgate.testbed import Testbed
from selftest.testbed.conftest import container, http, logout, session_token

GROUP = ["auth-logout-keeps-token", "auth-forged-token-accepted", "auth-logout-skips-csrf", "slow-api",
         "unhealthy-health-body", "error-burst", "pool-unbounded", "placeholder-env", "slow-health"]
KNOBS = {"AUTH_REVOKE_ON_LOGOUT": "false", "AUTH_JWT_VERIFY_SIGNATURE": "false", "AUTH_LOGOUT_CSRF": "false",
         "API_HEALTH_DELAY_MS": "2500", "MEDIA_INDEX_STATE": "stale", "PLEX_SERVER_URL": "changeme",
         "DB_POOL_MAX": "0"}
INF04_TIMEOUT_S = 10  # the endpoints that must stay responsive: within INF-04's (and SEC-03's) timeout


def _env(tb: Testbed) -> dict[str, str]:
    return dict(e.split("=", 1) for e in container(tb, "app").attrs["Config"]["Env"])


def _forged(token: str) -> list[str]:
    return [fake for _, fake in forgeries(token, b"another-key-" * 3, "random")]


def test_app_faults_apply_and_remove(tb: Testbed) -> None:
    tb.apply_faults(GROUP)
    try:
        token = session_token(tb)
        # auth-forged-token-accepted: the test user's claims under another key, or unsigned, get in.
        assert [http(tb, "/api/v1/auth/session", token=fake).status for fake in _forged(token)] == [200, 200]
        # auth-logout-skips-csrf: a logout without the CSRF token is accepted.
        assert logout(tb, token, csrf=False).status == 200
        # auth-logout-keeps-token: logout answers 200, the token keeps working.
        assert logout(tb, token).status == 200
        assert http(tb, "/api/v1/auth/session", token=token).status == 200
        # slow-api: /api/health sleeps 2.5 s; the endpoints other controls read stay responsive.
        assert http(tb, "/api/health").seconds >= 2.5
        for path in ("/health/live", "/api/v1/health"):
            assert http(tb, path, timeout=INF04_TIMEOUT_S).status == 200, path
        # pool-unbounded: the app reports no pool limit.
        assert http(tb, "/api/health").body["database_pool"]["max"] is None
        # slow-health: /health does not answer within INF-04's 10 s timeout.
        with pytest.raises(TimeoutError):
            http(tb, "/health", timeout=INF04_TIMEOUT_S)
        env = _env(tb)
        assert {k: env.get(k) for k in KNOBS} == KNOBS and int(env["HEALTH_DELAY_MS"]) > INF04_TIMEOUT_S * 1000
        logs = container(tb, "app").logs(tail=3000).decode()
        assert logs.count("ERROR plex-sync") >= 1200
    finally:
        tb.remove_faults(GROUP)
    env = _env(tb)
    assert not set(env) & {*KNOBS, "HEALTH_DELAY_MS"} - {"PLEX_SERVER_URL", "DB_POOL_MAX"}
    assert env["PLEX_SERVER_URL"] != "changeme" and env["DB_POOL_MAX"] == "10"
    token = session_token(tb)
    assert [http(tb, "/api/v1/auth/session", token=fake).status for fake in _forged(token)] == [401, 401]
    assert logout(tb, token, csrf=False).status == 403
    assert logout(tb, token).status == 200 and http(tb, "/api/v1/auth/session", token=token).status == 401
    assert http(tb, "/api/health").seconds < 2.5  # faster than the fault's own sleep: the sleep is gone
    assert http(tb, "/health").body["status"] == "ok"
    assert "ERROR" not in container(tb, "app").logs().decode()


def test_unhealthy_health_body_alone(tb: Testbed) -> None:
    """200 with status degraded, while the container's own healthcheck stays healthy."""
    with tb.fault("unhealthy-health-body"):
        reply = http(tb, "/health")
        assert reply.status == 200 and reply.body["status"] == "degraded"
        assert container(tb, "app").attrs["State"]["Health"]["Status"] == "healthy"
