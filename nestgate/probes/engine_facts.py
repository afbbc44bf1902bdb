"""Plain facts the engine probe returns; controls read these, never the Docker SDK."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SwarmFacts:
    local_node_state: str  # "active", "inactive", "pending", "error", "locked"
    node_id: str
    control_available: bool  # True on a manager
    error: str
    node_count: int
    manager_count: int


@dataclass(frozen=True)
class NodeFacts:
    id: str
    hostname: str
    state: str  # "ready", "down", "unknown", "disconnected"
    availability: str  # "active", "pause", "drain"
    role: str  # "manager", "worker"
    manager_reachability: str  # "" for workers


@dataclass(frozen=True)
class ContainerFacts:
    id: str
    name: str
    service: str  # the stack's service name without the stack prefix ("app"), "" if none
    image: str
    status: str  # "running", "exited", ...
    health: str  # "healthy", "unhealthy", "starting", "" when no healthcheck
    pid: int
    started_at: str
    inspect: dict[str, Any] = field(repr=False)  # full `docker inspect` for the fields controls need


@dataclass(frozen=True)
class StatsFacts:
    container: str
    service: str
    memory_bytes: int  # usage minus page cache, as `docker stats` computes it
    memory_limit_bytes: int
    cpu_percent: float  # over the daemon's own sample interval, 100% = one full core
    online_cpus: int


@dataclass(frozen=True)
class StatsRound:
    """One `docker stats` sample of several containers, all taken at once."""

    duration_s: float  # wall time of the whole round (about one daemon sample period)
    stats: list[StatsFacts]
