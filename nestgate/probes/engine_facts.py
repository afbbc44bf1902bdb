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
    # Cumulative counters, so a caller can take CPU % over its own interval (one-shot samples).
    cpu_total_ns: int = 0  # the container's CPU time
    system_cpu_ns: int = 0  # the host's CPU time (all CPUs)
    source: str = "api"  # "api" (GET /containers/{id}/stats) or "cgroup" (the host's cgroup files)


@dataclass(frozen=True)
class StatsRound:
    """One `docker stats` sample of several containers, all taken at once."""

    at_s: float  # when the round started, seconds after the first round started
    duration_s: float  # wall time of the whole round
    stats: list[StatsFacts]


@dataclass(frozen=True)
class TaskFacts:
    """One swarm task of a service: current or history (swarm keeps a few per slot)."""

    id: str
    slot: int | None  # replicated services; None for global
    node_id: str
    desired_state: str  # "running", "shutdown", "remove"
    state: str  # "running", "failed", "complete", "shutdown", "rejected", "pending", ...
    message: str
    error: str
    timestamp: float | None  # epoch seconds of the last state change
    container_id: str
    exit_code: int | None


@dataclass(frozen=True)
class ServiceState:
    """A swarm service of the stack: what it should run and what it runs (INF-06, INF-08)."""

    id: str
    name: str  # short name without the stack prefix
    mode: str  # "replicated", "global", ...
    desired_tasks: int  # from the engine's ServiceStatus (replicas, or eligible nodes for global)
    running_tasks: int
    image: str
    previous_image: str  # image of PreviousSpec; "" when the service has none
    has_healthcheck: bool
    tasks: list[TaskFacts] = field(default_factory=list)
    env: list[str] = field(default_factory=list, repr=False)  # ContainerSpec.Env, "KEY=value"
    tty: bool = False  # ContainerSpec.TTY: its logs come as one raw stream, not stdout/stderr frames


@dataclass(frozen=True)
class LogLine:
    container: str  # the container's name (for service logs: the task's, as swarm names its container)
    service: str
    timestamp: float  # epoch seconds, as the daemon stamped the line
    text: str
    node: str = ""  # service logs: the hostname of the node the task ran on ("" for container logs)
    task: str = ""  # service logs: the task ID
