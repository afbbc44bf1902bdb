"""Faults in the app's and monitor's behaviour, each one environment knob in the compose file
(so declared and running agree) and one service update."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from docker.errors import NotFound

from nestgate.testbed import stack
from nestgate.testbed.faults.base import Fault
from nestgate.testbed.run import client

if TYPE_CHECKING:
    from nestgate.testbed.compose import Model
    from nestgate.testbed.testbed import Testbed

SLOW_HEALTH_EXTRA_S = 5


def env(service: str, key: str, value: Any):
    def patch(model: Model, tb: Testbed) -> None:
        model.svc(service)["environment"][key] = value
    return patch


def _slow_health(model: Model, tb: Testbed) -> None:
    delay_s = tb.health_timeout_s() + SLOW_HEALTH_EXTRA_S
    model.svc("app")["environment"]["HEALTH_DELAY_MS"] = int(delay_s * 1000)


def _late_healthy(model: Model, tb: Testbed) -> None:
    monitor = model.svc("monitor")
    monitor["environment"]["MONITOR_STARTUP_DELAY_SECONDS"] = 40
    # Keep swarm from killing it while it warms up: it must end up healthy, only late.
    monitor["healthcheck"] = {**monitor["healthcheck"], "start_period": "90s"}


def _drop_exited_app_containers(tb: Testbed) -> None:
    """The faulty release's exited container keeps its ERROR lines in the stack's logs for the
    next hour (swarm keeps old tasks' containers): remove it, as log rotation would, so INF-07
    sees the clean stack again. Swarm keeps the task records."""
    cli = client()
    for cid in stack.task_containers_all(tb.instance, "app"):
        with contextlib.suppress(NotFound):
            attrs = cli.api.inspect_container(cid)
            env = attrs["Config"]["Env"] or []
            if not attrs["State"]["Running"] and any(e.startswith("PLEX_SYNC_ERROR_BURST=") for e in env):
                cli.api.remove_container(cid, force=True)


FAULTS = [
    Fault("auth-logout-keeps-token", "SEC-03", "logout answers 200 but the token stays valid",
          "compose: app AUTH_REVOKE_ON_LOGOUT=false; logout (with its CSRF token) answers 200 but "
          "records no revoked session, so the same JWT keeps opening /api/v1/auth/session.",
          compose=env("app", "AUTH_REVOKE_ON_LOGOUT", "false")),
    Fault("auth-forged-token-accepted", "SEC-03", "the app reads JWT claims without checking the signature",
          "compose: app AUTH_JWT_VERIFY_SIGNATURE=false (decode instead of verify): a token with the "
          "test user's claims signed with any other key, or unsigned (alg none), opens "
          "/api/v1/auth/session. Expiry and revocation are still checked.",
          compose=env("app", "AUTH_JWT_VERIFY_SIGNATURE", "false")),
    Fault("auth-logout-skips-csrf", "SEC-03", "logout is accepted without the CSRF token",
          "compose: app AUTH_LOGOUT_CSRF=false: POST /api/v1/auth/logout with the session but no "
          "csrf-token cookie or x-csrf-token header answers 200 (and ends the session) instead of 403.",
          compose=env("app", "AUTH_LOGOUT_CSRF", "false")),
    Fault("slow-health", "INF-04", "/health slower than the endpoint timeout",
          "compose: app HEALTH_DELAY_MS = (target call timeout + 5 s) on /health, which only INF-04 "
          "requests; /health/live (the Docker healthcheck), /health/ready (INF-03, PRF-03), /api/health "
          "(PRF-05) and /api/v1/health (SEC-03) stay fast.",
          compose=_slow_health),
    Fault("slow-api", "PRF-05", "/api/health takes 2.5 s",
          "compose: app API_HEALTH_DELAY_MS=2500: over PRF-05's 2 s limit, well inside INF-04's 10 s "
          "timeout for the same endpoint (INF-04 has no latency limit below its timeout).",
          compose=env("app", "API_HEALTH_DELAY_MS", 2500)),
    Fault("unhealthy-health-body", "INF-04", "/health answers 200 with status degraded",
          "compose: app MEDIA_INDEX_STATE=stale; /health answers HTTP 200, body status \"degraded\" "
          "(media_index stale). Only INF-04 reads /health; the Docker healthcheck (/health/live) stays "
          "healthy.",
          compose=env("app", "MEDIA_INDEX_STATE", "stale")),
    Fault("error-burst", "INF-07", "app logs 1200 ERROR lines, then 20 per minute",
          "compose: app PLEX_SYNC_ERROR_BURST=1200: at start 1200 `ERROR plex-sync ...` lines, then "
          "one every 3 s (over 10/minute on any window up to 2 h).",
          compose=env("app", "PLEX_SYNC_ERROR_BURST", 1200), post_remove=_drop_exited_app_containers),
    Fault("pool-unbounded", "PRF-03", "the app's database pool has no limit",
          "compose: app DB_POOL_MAX=0 (the app's convention for unlimited; still set, so INF-02 "
          "holds); /api/health reports database_pool.max null and a burst opens one connection per "
          "concurrent request.", compose=env("app", "DB_POOL_MAX", 0)),
    Fault("placeholder-env", "INF-02", "a required variable holds `changeme`",
          "compose: app PLEX_SERVER_URL=changeme (listed in .env.example; the app only reports it).",
          compose=env("app", "PLEX_SERVER_URL", "changeme")),
    Fault("monitor-down", "SEC-07", "monitor worker stopped: stale heartbeat, no alerts raised",
          "compose: monitor MONITOR_WORKER_ENABLED=false; the container runs and /health answers "
          "healthy (it checks only the HTTP side), but the heartbeat never advances and POST "
          "/alerts/test is accepted (202) yet never raised.",
          compose=env("monitor", "MONITOR_WORKER_ENABLED", "false")),
    Fault("memory-hog", "PRF-06", "monitor holds ~92% of its memory limit",
          "compose: monitor MONITOR_CACHE_PERCENT_OF_LIMIT=92: an in-memory cache filling its RSS to 92% of "
          "its 128M limit (the stack total stays far under 2 GB).",
          # 92, not 88: `docker stats` subtracts inactive file pages that RSS counts, so RSS at 88%
          # measured 82% there, too close to PRF-06's 80% to fail reliably.
          compose=env("monitor", "MONITOR_CACHE_PERCENT_OF_LIMIT", 92)),
    Fault("late-healthy", "BLD-05", "monitor becomes healthy only ~40 s after start",
          "compose: monitor MONITOR_STARTUP_DELAY_SECONDS=40 (a warm-up before it serves) and its "
          "healthcheck start_period 90s, so swarm waits for it: healthy at ~40-45 s, then normal.",
          compose=_late_healthy),
]
