"""What the engine says about one service for an incident: its spec, tasks, containers and recent logs (reads only).

On a swarm the logs and the tasks come through the manager (every task on every node, each log line
naming its task and node); only the containers on the engine's own node can be inspected from here.
A compose project lives on the engine's machine: its containers and their logs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import docker.errors

from nestgate.errors import EvidenceUnavailable, one_line
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts, LogLine, ServiceState, TaskFacts

PARALLEL = 8  # task inspect calls at once


def full_name(engine: Engine, service: str) -> str:
    return f"{engine.stack}_{service}"


@dataclass
class Diagnostics:
    """What the engine says about one service: its spec, its tasks, its containers, their recent logs."""

    service: str
    service_inspect: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = field(default_factory=list)  # swarm: `docker inspect <task>` of each
    containers: list[dict[str, Any]] = field(default_factory=list)  # on the engine's own node
    logs: list[LogLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what could not be read, one line each


def task_inspect(engine: Engine, task: TaskFacts) -> dict[str, Any]:
    """One task as the manager knows it, on whichever node it runs."""
    return engine.call("task inspect", lambda api: api.inspect_task(task.id))


def tasks_inspect(engine: Engine, tasks: list[TaskFacts]) -> list[dict[str, Any] | str]:
    """Each task's inspect, or why it could not be read (one line), in the tasks' order."""
    def one(t: TaskFacts) -> dict[str, Any] | str:
        try:
            return task_inspect(engine, t)
        except (docker.errors.APIError, EvidenceUnavailable) as exc:
            return f"task {t.id[:12]} inspect: {one_line(exc)}"
    if not tasks:
        return []
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(tasks))) as pool:
        return list(pool.map(one, tasks))


def swarm_service(engine: Engine, service: str) -> ServiceState:
    """The stack's swarm service with its tasks (all the manager keeps: running and ended)."""
    found = [s for s in engine.service_states() if s.name == service]
    if not found:
        raise EvidenceUnavailable(f"service {service} not found in stack {engine.stack}")
    return found[0]


def diagnostics(engine: Engine, service: str, since: float) -> Diagnostics:
    """Reads only. Each part that fails is named in `errors`; the rest is still collected."""
    out = Diagnostics(service)
    if engine.orchestrator != "swarm":
        _containers(engine, service, since, out, logs=True)
        return out
    try:
        out.service_inspect = engine.call("service inspect",
                                          lambda api: api.inspect_service(full_name(engine, service)))
    except (docker.errors.APIError, EvidenceUnavailable) as exc:
        out.errors.append(f"service inspect: {one_line(exc)}")
    try:
        svc = swarm_service(engine, service)
    except (docker.errors.APIError, EvidenceUnavailable) as exc:
        out.errors.append(f"task ls: {one_line(exc)}")
        return out
    if not svc.tasks:
        out.errors.append(f"no task of service {service} (running or ended)")
    for got in tasks_inspect(engine, svc.tasks):
        if isinstance(got, dict):
            out.tasks.append(got)
        else:
            out.errors.append(got)
    try:
        out.logs = engine.service_logs(svc, since, engine.node_names())
    except (docker.errors.APIError, EvidenceUnavailable) as exc:
        out.errors.append(f"logs of service {service} through the manager: {one_line(exc)}")
    _containers(engine, service, since, out, logs=False)
    return out


def _containers(engine: Engine, service: str, since: float, out: Diagnostics, logs: bool) -> None:
    """Inspect (and with `logs`, the logs of) the service's containers on the engine's own node."""
    try:
        mine: list[ContainerFacts] = [c for c in engine.containers_now() if c.service == service]
    except (docker.errors.APIError, EvidenceUnavailable) as exc:
        out.errors.append(f"container ls: {one_line(exc)}")
        return
    if logs and not mine:
        out.errors.append(f"no container of service {service} (running or stopped)")
    for c in mine:
        try:
            out.containers.append(engine.call("container inspect", lambda api, cid=c.id: api.inspect_container(cid)))
            if logs:
                out.logs += engine.logs(c, since)
        except docker.errors.NotFound:
            out.errors.append(f"container {c.name}: removed while reading")
        except (docker.errors.APIError, EvidenceUnavailable) as exc:
            out.errors.append(f"container {c.name}: {one_line(exc)}")
    out.logs.sort(key=lambda line: line.timestamp)
