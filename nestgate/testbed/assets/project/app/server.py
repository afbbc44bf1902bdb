"""HTTP routes: health endpoints, auth, the protected media list; one log line per request."""

import json
import os
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from medianest_app import auth
from medianest_app.settings import SETTINGS
from medianest_app.store import POOL, PoolTimeout, check_cache, check_database, query

STARTED = time.time()
COUNTS = {"requests": 0}
_count_lock = threading.Lock()


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def log(line: str) -> None:
    sys.stdout.write(f"{now_iso()} {line}\n")
    sys.stdout.flush()


class Handler(BaseHTTPRequestHandler):
    server_version = "medianest-app"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:  # replaced by log_request's single line
        pass

    def send_json(self, code: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            for one in v if isinstance(v, list) else [v]:  # a list: the header repeated (Set-Cookie)
                self.send_header(k, one)
        self.end_headers()
        self.wfile.write(data)
        self._status = code

    def cookie(self, wanted: str) -> str | None:
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == wanted and value:
                return value
        return None

    def token(self) -> str | None:
        # MediaNest's extractToken: Authorization: Bearer first, then the cookie.
        header = self.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return header[7:].strip()
        return self.cookie("token")

    def read_json(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > 65536:
            return {}
        try:
            body = json.loads(self.rfile.read(length))
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def dispatch(self, method: str) -> None:
        path = self.path.split("?", 1)[0]
        self._status = 0
        start = time.monotonic()
        try:
            route = ROUTES.get((method, path))
            if route is None:
                self.send_json(404, {"success": False, "error": {"code": "NOT_FOUND"}})
            else:
                route(self)
        except PoolTimeout:
            self.send_json(503, {"success": False, "error": {"code": "DB_POOL_EXHAUSTED"}})
        except Exception as exc:  # a dependency went away mid-request: answer 503, keep serving
            self.send_json(503, {"success": False, "error": {"code": "UNAVAILABLE", "type": type(exc).__name__}})
        finally:
            with _count_lock:
                COUNTS["requests"] += 1
            ms = (time.monotonic() - start) * 1000
            log(f"app method={method} path={path} status={self._status} ms={ms:.1f}")

    def do_GET(self) -> None:
        self.dispatch("GET")

    def do_POST(self) -> None:
        self.dispatch("POST")


def get_health(h: Handler) -> None:
    # MediaNest's server.ts /health: always {status: ok, timestamp}, no dependency checks.
    if SETTINGS.health_delay_ms:
        time.sleep(SETTINGS.health_delay_ms / 1000)
    body = {"status": "ok", "timestamp": now_iso()}
    if SETTINGS.media_index_state != "ready":
        # The seeded fault: the media index reports itself stale; status degraded, yet HTTP 200.
        body.update(status="degraded", media_index=SETTINGS.media_index_state)
    h.send_json(200, body)


# Seeded fault knob (app-db-report-down): MediaNest's ready handler reports the database client
# registered at startup (app.get('prisma')); `false` = none registered, so it reports the database
# down while the database and every query of the app are fine.
READY_DB_CLIENT = os.environ.get("READY_DB_CLIENT_REGISTERED", "true").strip().lower() in ("1", "true", "yes", "on")


def get_ready(h: Handler) -> None:
    # MediaNest's /health/ready shape: checks as a list of named components.
    database = check_database() if READY_DB_CLIENT else {"status": "down", "reason": "client not registered"}
    checks = {"database": database, "cache": check_cache()}
    ok = all(c["status"] == "ok" for c in checks.values())
    h.send_json(200 if ok else 503, {"status": "ready" if ok else "not_ready",
                                     "checks": [{"name": k, **v} for k, v in checks.items()]})


def get_live(h: Handler) -> None:
    h.send_json(200, {"status": "alive", "uptime_s": round(time.time() - STARTED, 1)})


def get_api_health(h: Handler) -> None:
    # MediaNest's routes/health.ts: no database query (the pool figures are the app's own counters).
    if SETTINGS.api_health_delay_ms:
        time.sleep(SETTINGS.api_health_delay_ms / 1000)
    h.send_json(200, {"status": "healthy", "service": "backend", "timestamp": now_iso(),
                      "version": os.environ.get("APP_RELEASE", "unknown"),
                      "uptime_s": round(time.time() - STARTED, 1), "database_pool": POOL.stats()})


def get_v1_health(h: Handler) -> None:
    # MediaNest's health.controller.ts: always 200, never checks the database.
    h.send_json(200, {"status": "ok", "service": "medianest-api", "timestamp": now_iso(),
                      "version": os.environ.get("APP_RELEASE", "unknown"),
                      "uptime_s": round(time.time() - STARTED, 1)})


def post_login(h: Handler) -> None:
    body = h.read_json()
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        h.send_json(400, {"success": False, "error": {"code": "VALIDATION_ERROR"}})
        return
    result = auth.login(username, password)
    if result is None:
        # The line the procedure's security monitor greps for ("authentication failed").
        log(f"authentication failed user={username[:64]!r} from={h.client_address[0]}")
        h.send_json(401, {"success": False, "error": {"code": "INVALID_CREDENTIALS"}})
        return
    cookie = f"token={result['token']}; HttpOnly; SameSite=Strict; Path=/; Max-Age={result['expires_in']}"
    h.send_json(200, {"success": True, "data": result}, {"Set-Cookie": cookie})


def get_csrf_token(h: Handler) -> None:
    # MediaNest's double-submit token: in the body and a cookie the page can read (not HttpOnly).
    value = auth.csrf_token()
    h.send_json(200, {"success": True, "data": {"csrfToken": value}},
                {"Set-Cookie": f"csrf-token={value}; SameSite=Strict; Path=/; Max-Age=3600"})


def require_user(h: Handler) -> dict | None:
    user = auth.user_for(h.token())
    if user is None:
        h.send_json(401, {"success": False, "error": {"code": "UNAUTHORIZED"}})
    return user


def post_logout(h: Handler) -> None:
    if require_user(h) is None:
        return
    if not auth.csrf_ok(h.cookie("csrf-token"), h.headers.get("x-csrf-token")):
        h.send_json(403, {"success": False, "error": {"code": "CSRF_TOKEN_INVALID",
                                                      "message": "CSRF token missing or mismatched"}})
        return
    auth.logout(h.token() or "")
    h.send_json(200, {"success": True, "message": "Logged out successfully"},
                {"Set-Cookie": ["token=; HttpOnly; Path=/; Max-Age=0", "rememberToken=; HttpOnly; Path=/; Max-Age=0"]})


def get_session(h: Handler) -> None:
    user = require_user(h)
    if user is not None:
        h.send_json(200, {"success": True, "data": {"user": user}})


def get_media(h: Handler) -> None:
    if require_user(h) is None:
        return
    rows = query("SELECT r.id, r.title, r.media_type, r.tmdb_id, r.status, u.username "
                 "FROM media_requests r JOIN users u ON u.id = r.user_id ORDER BY r.id")
    keys = ("id", "title", "media_type", "tmdb_id", "status", "requested_by")
    h.send_json(200, {"success": True, "data": [dict(zip(keys, r)) for r in rows]})


def get_internal_stats(h: Handler) -> None:
    with _count_lock:
        requests = COUNTS["requests"]
    h.send_json(200, {"auth_failures_total": auth.FAILURES["total"], "requests_total": requests,
                      "database_pool": POOL.stats(), "uptime_s": round(time.time() - STARTED, 1)})


ROUTES = {
    ("GET", "/health"): get_health,
    ("GET", "/health/ready"): get_ready,
    ("GET", "/health/live"): get_live,
    ("GET", "/api/health"): get_api_health,
    ("GET", "/api/v1/health"): get_v1_health,
    # MediaNest has no /api/auth/health or /api/media/health: they answer the /api/* 404.
    # The testbed's password login (MediaNest mounts none): failed logins for the monitor and the watch.
    ("POST", "/api/auth/login"): post_login,
    ("GET", "/api/v1/csrf/token"): get_csrf_token,
    ("POST", "/api/v1/auth/logout"): post_logout,
    ("GET", "/api/v1/auth/session"): get_session,
    ("GET", "/api/media"): get_media,
    ("GET", "/internal/stats"): get_internal_stats,
}


def plex_sync_errors(burst: int) -> None:
    """PLEX_SYNC_ERROR_BURST: a Plex sync that cannot reach its server logs ERROR lines."""
    for i in range(burst):
        log(f"ERROR plex-sync attempt={i} upstream=plex unreachable: connection refused")
    while True:  # and keeps failing: 20 more per minute
        time.sleep(3)
        log("ERROR plex-sync upstream=plex unreachable: connection refused")


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        # A client that hung up mid-answer (a probe's timeout) is not an application fault.
        log(f"app client-gone peer={client_address[0]} reason={type(sys.exc_info()[1]).__name__}")


def main() -> None:
    pool = POOL.stats()["max"]
    log(f"app starting port={SETTINGS.port} env={SETTINGS.node_env} db_pool_max={pool or 'unlimited'}")
    if SETTINGS.plex_sync_errors:
        threading.Thread(target=plex_sync_errors, args=(SETTINGS.plex_sync_errors,), daemon=True).start()
    server = Server(("0.0.0.0", SETTINGS.port), Handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
