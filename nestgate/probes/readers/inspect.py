"""Fields of `docker inspect` documents that several controls read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping


def env_list_to_dict(entries: Iterable[str]) -> dict[str, str]:
    """Docker's `["KEY=value", ...]` form; a bare `KEY` (no `=`) is set to nothing."""
    out: dict[str, str] = {}
    for entry in entries:
        key, _, value = str(entry).partition("=")
        out[key] = value
    return out


def env_of(inspect: Mapping) -> dict[str, str]:
    """A running container's environment (`Config.Env`) as a dict."""
    return env_list_to_dict((inspect.get("Config") or {}).get("Env") or [])


def container_ips(inspect: Mapping) -> set[str]:
    """Every IP address a container has on its networks (where its database connections come from)."""
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    return {str(n.get("IPAddress")) for n in networks.values() if n and n.get("IPAddress")}
