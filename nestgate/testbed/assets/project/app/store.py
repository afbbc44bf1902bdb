"""PostgreSQL connection pool (bounded by DB_POOL_MAX) and the Redis client."""

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
import redis

from medianest_app.settings import SETTINGS

# Seeded fault knob (pool-leaks-connections): `false` = a checkout never takes an idle connection,
# so DB_POOL_MAX bounds the connections in use, not those open; returned ones pile up until reaped.
REUSE_IDLE = os.environ.get("DB_POOL_REUSE_IDLE", "true").strip().lower() in ("1", "true", "yes", "on")


class PoolTimeout(Exception):
    pass


class Pool:
    """A blocking pool: at most `maximum` connections open at once (0 = unlimited)."""

    def __init__(self, maximum: int, idle_timeout_s: float) -> None:
        self.maximum = maximum
        self.idle_timeout_s = idle_timeout_s
        self._slots = threading.BoundedSemaphore(maximum) if maximum > 0 else None
        self._idle: list[tuple[float, object]] = []  # (returned at, connection)
        self._lock = threading.Lock()
        self.in_use = 0
        self.opened_total = 0
        threading.Thread(target=self._reap, daemon=True).start()

    def _reap(self) -> None:
        """Close connections idle longer than the timeout (a burst's extra connections go away)."""
        while True:
            time.sleep(2)
            cutoff = time.monotonic() - self.idle_timeout_s
            with self._lock:
                old = [c for t, c in self._idle if t < cutoff]
                self._idle = [(t, c) for t, c in self._idle if t >= cutoff]
            for conn in old:
                conn.close()

    def discard_idle(self) -> None:
        """After a failure on a pooled connection (server restarted) none of the idle ones work."""
        with self._lock:
            old, self._idle = self._idle, []
        for _, conn in old:
            conn.close()

    def _connect(self):
        conn = psycopg2.connect(
            host=SETTINGS.db_host, port=SETTINGS.db_port, dbname=SETTINGS.secret("postgres_db"),
            user=SETTINGS.secret("postgres_user"), password=SETTINGS.secret("postgres_password"),
            connect_timeout=3, application_name="medianest-app",
        )
        conn.autocommit = True
        with self._lock:
            self.opened_total += 1
        return conn

    @contextmanager
    def connection(self, wait_s: float = 5.0) -> Iterator:
        if self._slots is not None and not self._slots.acquire(timeout=wait_s):
            raise PoolTimeout(f"no database connection free within {wait_s} s (pool max {self.maximum})")
        conn = None
        try:
            with self._lock:
                conn = self._idle.pop()[1] if self._idle and REUSE_IDLE else None
                self.in_use += 1
            if conn is None or conn.closed:
                conn = self._connect()
            yield conn
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if conn is not None:
                conn.close()  # broken (server restarted): never hand it out again
            conn = None
            raise
        finally:
            with self._lock:
                self.in_use -= 1
                if conn is not None and not conn.closed:
                    self._idle.append((time.monotonic(), conn))
            if self._slots is not None:
                self._slots.release()

    def stats(self) -> dict:
        with self._lock:
            return {"max": self.maximum or None, "in_use": self.in_use,
                    "idle": len(self._idle), "opened_total": self.opened_total}


POOL = Pool(SETTINGS.db_pool_max, SETTINGS.db_pool_idle_s)
_redis: redis.Redis | None = None


def cache() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis(host=SETTINGS.redis_host, port=SETTINGS.redis_port,
                             password=SETTINGS.secret("redis_password"),
                             socket_timeout=2, socket_connect_timeout=2, decode_responses=True,
                             # PING an idle connection before use: redis may have restarted.
                             health_check_interval=5)
    return _redis


def query(sql: str, args: tuple = ()) -> list[tuple]:
    """One statement (autocommit). A failure on a pooled connection is retried once on a fresh one:
    after a database restart every idle connection is dead, not the database."""
    for attempt in (1, 2):
        try:
            with POOL.connection() as conn, conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall() if cur.description else []
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            if attempt == 2:
                raise
            POOL.discard_idle()
    return []


def timed_check(fn) -> dict:
    """Run one dependency check; report ok/down with latency, never raise."""
    start = time.monotonic()
    try:
        fn()
    except Exception as exc:  # any failure of a dependency is a health fact, not a crash
        return {"status": "down", "reason": type(exc).__name__,
                "latency_ms": round((time.monotonic() - start) * 1000, 1)}
    return {"status": "ok", "latency_ms": round((time.monotonic() - start) * 1000, 1)}


def check_database() -> dict:
    return timed_check(lambda: query("SELECT 1"))


def check_cache() -> dict:
    return timed_check(lambda: cache().ping())
