"""MediaNest security monitor (nestgate testbed): heartbeat, auth-failure watch, alerts.

A worker loop beats once a second, polls the app's /internal/stats every MONITOR_POLL_SECONDS,
raises an `auth-failures` alert when failures grow by MONITOR_AUTH_FAILURE_THRESHOLD or more
between polls, and raises queued test alerts. The HTTP side only reads what the worker wrote.
"""

import json
import os
import queue
import sys
import threading
import time
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ.get("MONITOR_PORT", "9090"))
APP_URL = os.environ.get("MONITOR_APP_URL", "http://app:4000")
POLL_S = float(os.environ.get("MONITOR_POLL_SECONDS", "5"))
THRESHOLD = int(os.environ.get("MONITOR_AUTH_FAILURE_THRESHOLD", "5"))
# Behaviour knobs (seeded faults flip these; defaults are the correct behaviour).
WORKER_ENABLED = os.environ.get("MONITOR_WORKER_ENABLED", "true").lower() in ("1", "true", "yes", "on")
STARTUP_DELAY_S = float(os.environ.get("MONITOR_STARTUP_DELAY_SECONDS", "0"))
BALLAST_PERCENT = float(os.environ.get("MONITOR_CACHE_PERCENT_OF_LIMIT", "0"))

STATE = {"last_beat": None, "beats": 0, "polls": 0, "last_poll_ok": None,
         "auth_failures_observed": 0, "app_auth_failures_total": None}
ALERTS: list[dict] = []
PENDING: "queue.Queue[dict]" = queue.Queue()
LOCK = threading.Lock()
STARTED = time.time()
_ballast: list[bytearray] = []
WARM_BEFORE_SERVING_MAX = 256 << 20  # a cache up to this size is filled before the server starts


def now_iso(ts: float | None = None) -> str:
    return datetime.fromtimestamp(ts or time.time(), timezone.utc).isoformat(timespec="milliseconds")


def log(line: str) -> None:
    sys.stdout.write(f"{now_iso()} {line}\n")
    sys.stdout.flush()


def raise_alert(kind: str, message: str, source: str, payload: dict | None = None) -> dict:
    with LOCK:
        alert = {"id": len(ALERTS) + 1, "kind": kind, "message": message, "source": source,
                 "raised_at": now_iso(), "payload": payload or {}}
        ALERTS.append(alert)
    log(f"monitor alert id={alert['id']} kind={kind} source={source}")
    return alert


def poll_app() -> None:
    try:
        with urllib.request.urlopen(f"{APP_URL}/internal/stats", timeout=3) as resp:
            total = int(json.load(resp)["auth_failures_total"])
    except Exception as exc:  # the app restarting is a fact to report, not a crash
        with LOCK:
            STATE["polls"] += 1
            STATE["last_poll_ok"] = False
        log(f"monitor poll app=unreachable reason={type(exc).__name__}")
        return
    with LOCK:
        previous = STATE["app_auth_failures_total"]
        # A restarted app counts from zero again: count only growth.
        delta = total - previous if previous is not None and total >= previous else 0
        STATE["app_auth_failures_total"] = total
        STATE["auth_failures_observed"] += delta
        STATE["polls"] += 1
        STATE["last_poll_ok"] = True
    if delta >= THRESHOLD:
        raise_alert("auth-failures", f"{delta} authentication failures in {POLL_S:.0f} s", "app")


def worker() -> None:
    next_poll = 0.0
    while True:
        with LOCK:
            STATE["last_beat"] = time.time()
            STATE["beats"] += 1
        while True:
            try:
                item = PENDING.get_nowait()
            except queue.Empty:
                break
            raise_alert("test", item["message"], "api", item["payload"])
        if time.monotonic() >= next_poll:
            next_poll = time.monotonic() + POLL_S
            poll_app()
        time.sleep(1)


def memory_limit_bytes() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            raw = open(path).read().strip()
        except OSError:
            continue
        if raw.isdigit() and int(raw) < 1 << 50:
            return int(raw)
    return None


def fill_cache(percent: float) -> None:
    """MONITOR_CACHE_PERCENT_OF_LIMIT: an in-memory cache that grows to that share of the limit."""
    limit = memory_limit_bytes()
    if not limit:
        return
    rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    target = int(limit * percent / 100) - rss
    chunk = 8 << 20
    while target > 0:
        block = bytearray(min(chunk, target))
        block[::4096] = b"x" * len(block[::4096])  # touch every page so it counts as used
        _ballast.append(block)
        target -= len(block)
    log(f"monitor cache filled percent_of_limit={percent:.0f} limit_mb={limit >> 20}")


class Handler(BaseHTTPRequestHandler):
    server_version = "medianest-monitor"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args) -> None:
        pass

    def send_json(self, code: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        log(f"monitor method={self.command} path={self.path} status={code}")

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        with LOCK:
            state = dict(STATE)
            alerts = list(ALERTS)
        if path == "/health":
            # Liveness of the HTTP side only (like many real monitors): the heartbeat is separate.
            self.send_json(200, {"status": "healthy", "service": "monitor",
                                 "uptime_s": round(time.time() - STARTED, 1)})
        elif path == "/heartbeat":
            beat = state["last_beat"]
            # Never beaten: the heartbeat is as old as the process.
            age = round(time.time() - (beat or STARTED), 2)
            self.send_json(200, {"status": "ok" if beat is not None and age < 10 else "stale",
                                 "last_beat": now_iso(beat) if beat else None, "age_seconds": age,
                                 "beats": state["beats"]})
        elif path == "/alerts":
            self.send_json(200, {"alerts": alerts, "count": len(alerts)})
        elif path == "/stats":
            state.pop("last_beat")
            self.send_json(200, state)
        else:
            self.send_json(404, {"error": "not found"})

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if 0 < length <= 65536 else b""
        if path != "/alerts/test":
            self.send_json(404, {"error": "not found"})
            return
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {"body": body}
        # The whole payload is kept (bounded), so a sender's marker shows up in GET /alerts.
        payload = {str(k)[:64]: str(v)[:200] for k, v in list(body.items())[:16]}
        PENDING.put({"message": payload.get("message", "test alert"), "payload": payload})
        # Accepted, raised by the worker within about a second: poll GET /alerts to observe it.
        self.send_json(202, {"queued": True})


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        log(f"monitor client-gone peer={client_address[0]}")


def main() -> None:
    log(f"monitor starting port={PORT} app={APP_URL} worker={'on' if WORKER_ENABLED else 'off'}")
    if STARTUP_DELAY_S:
        log(f"monitor warming up seconds={STARTUP_DELAY_S:.0f}")
        time.sleep(STARTUP_DELAY_S)
    if BALLAST_PERCENT:
        if (memory_limit_bytes() or 0) * BALLAST_PERCENT / 100 <= WARM_BEFORE_SERVING_MAX:
            fill_cache(BALLAST_PERCENT)  # full before the first healthcheck passes
        else:
            # Warmed behind the server: touching GiBs of pages under a 0.25 CPU limit takes ~30 s,
            # which must not delay the healthcheck (BLD-05). Faults wait for the `cache filled` line.
            threading.Thread(target=fill_cache, args=(BALLAST_PERCENT,), daemon=True).start()
    if WORKER_ENABLED:
        threading.Thread(target=worker, daemon=True).start()
    Server(("0.0.0.0", PORT), Handler).serve_forever()


if __name__ == "__main__":
    main()
