"""The daemon's own `docker stats` figures, the reference the node reader (cgroup files through a
node's testinfra host) is checked against: a one-shot API call and the docker CLI's arithmetic."""

from __future__ import annotations

from typing import Any

from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts, StatsFacts


def api_stats(engine: Engine, container: ContainerFacts) -> StatsFacts:
    """One one-shot `GET /containers/{id}/stats` (API 1.41), as `docker stats --no-stream` reads it."""
    raw = engine.call("stats", lambda api: api.stats(container.id, stream=False, one_shot=True))
    return stats_from_raw(raw, container)


def stats_from_raw(raw: dict[str, Any], container: ContainerFacts) -> StatsFacts:
    """The same arithmetic as the docker CLI's `docker stats` (cgroup v1 and v2)."""
    mem = raw.get("memory_stats") or {}
    detail = mem.get("stats") or {}
    cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
    usage = max(0, int(mem.get("usage", 0)) - int(cache))
    cpu, pre = raw.get("cpu_stats") or {}, raw.get("precpu_stats") or {}
    cpu_delta = cpu.get("cpu_usage", {}).get("total_usage", 0) - pre.get("cpu_usage", {}).get(
        "total_usage", 0
    )
    sys_delta = cpu.get("system_cpu_usage", 0) - pre.get("system_cpu_usage", 0)
    online = int(cpu.get("online_cpus") or len(cpu.get("cpu_usage", {}).get("percpu_usage") or []) or 1)
    percent = (cpu_delta / sys_delta) * online * 100.0 if cpu_delta > 0 and sys_delta > 0 else 0.0
    return StatsFacts(
        container=container.name,
        service=container.service,
        memory_bytes=usage,
        memory_limit_bytes=int(mem.get("limit", 0)),
        cpu_percent=percent,
        online_cpus=online,
        cpu_total_ns=int(cpu.get("cpu_usage", {}).get("total_usage", 0)),
        system_cpu_ns=int(cpu.get("system_cpu_usage", 0)),
    )
