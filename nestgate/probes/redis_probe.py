"""Redis probe: PING with the password, with socket timeouts."""

from __future__ import annotations

import redis

from nestgate.errors import EvidenceUnavailable, one_line


def ping(host: str, port: int, password: str | None, timeout_s: float) -> bool:
    client = redis.Redis(host=host, port=port, password=password,
                         socket_timeout=timeout_s, socket_connect_timeout=timeout_s)
    try:
        return bool(client.ping())
    except redis.RedisError as exc:
        raise EvidenceUnavailable(f"Redis at {host}:{port}: {one_line(exc)}") from None
    finally:
        client.close()
