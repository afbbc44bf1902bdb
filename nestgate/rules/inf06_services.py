"""INF-06 rules: a service is declared with replicas, runs every desired replica, healthy, with no
task failure or restart in the window (swarm task history), or, on a Compose target, its
containers run healthy and Docker never restarted them. Also what counts as a task failure and
how to say it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.engine_facts import ContainerFacts, ServiceState, TaskFacts

# A task that ended on its own (crash, exit, health kill, OOM) or was refused a node. "shutdown"
# is the orchestrator stopping a task on purpose (update, scale down) and is not a failure.
FAILED_STATES = frozenset({"failed", "complete", "rejected", "orphaned"})
# How many failures a message lists (all are counted and recorded in the evidence).
LISTED_FAILURES = 5


def failures_since(tasks: Iterable[TaskFacts], since: float) -> list[TaskFacts]:
    """Tasks that failed or ended by themselves at or after `since` (epoch seconds)."""
    return [t for t in tasks
            if t.state in FAILED_STATES and t.timestamp is not None and t.timestamp >= since]


def running(tasks: Iterable[TaskFacts]) -> list[TaskFacts]:
    return [t for t in tasks if t.desired_state == "running" and t.state == "running"]


def not_running(tasks: Iterable[TaskFacts]) -> list[TaskFacts]:
    """Tasks the orchestrator wants running that are not (pending, starting, assigned...)."""
    return [t for t in tasks if t.desired_state == "running" and t.state != "running"]


def node_name(node_id: str, nodes: Mapping[str, str]) -> str:
    """A swarm node by hostname (node ID -> hostname from GET /nodes), else its short ID."""
    return nodes.get(node_id) or node_id[:12]


def describe(task: TaskFacts, nodes: Mapping[str, str] | None = None) -> str:
    when = "?" if task.timestamp is None else dt.datetime.fromtimestamp(task.timestamp, dt.UTC).strftime("%H:%M:%SZ")
    slot = f" slot {task.slot}" if task.slot is not None else ""
    where = f" on {node_name(task.node_id, nodes or {})}" if task.node_id else ""  # a pending task has no node
    why = task.error or task.message or "no reason given"
    code = f", exit {task.exit_code}" if task.exit_code not in (None, 0) else ""
    return f"task {task.id[:12]}{slot}{where} {task.state} at {when}{code}: {why}"


def task_health(tasks: Iterable[TaskFacts], has_healthcheck: bool, nodes: Mapping[str, str]) -> dict[str, str]:
    """"<short task ID> on <node>" -> the health of each task swarm wants running and has started,
    by the swarm's own task state, whatever node it is on. Swarm moves a task with a healthcheck
    from "starting" to "running" only once its container reported healthy, and fails it when the
    container turns unhealthy: "running" is "healthy" ("none" without a healthcheck), "starting"
    is a healthcheck not passed yet."""
    return {f"{t.id[:12]} on {node_name(t.node_id, nodes)}":
            ("healthy" if has_healthcheck else "none") if t.state == "running" else t.state
            for t in tasks if t.desired_state == "running" and t.state in ("running", "starting")}


def not_deployed(service: str, stack: str, deployed: Iterable[str]) -> Finding:
    """A service the target expects that the stack does not run (INF-02 and INF-06)."""
    names = sorted(deployed)
    return Finding(f"service {service}", "deployed", False, True,
                   says=f"not deployed in stack {stack} (deployed: {', '.join(names) or 'none'})")


def declared_findings(service: str, mode: Any, replicas: Any) -> list[Finding]:
    """A declared service that would never run: replicated with fewer than one replica."""
    if mode == "global" or (isinstance(replicas, int) and replicas >= 1):
        return []
    return [Finding(f"service {service}", "replicas", replicas, "at least 1",
                    says=f"declares {replicas} replicas (mode {mode}): it would never run")]


def swarm_findings(service: str, svc: ServiceState, health: Mapping[str, str], failures: list[TaskFacts],
                   window_min: float, nodes: Mapping[str, str] | None = None) -> list[Finding]:
    """Every desired replica running, every started task healthy (when the service has a
    healthcheck), no task failure or restart within the window. Tasks are named with their node."""
    subject = f"service {service}"
    found = []
    if not (svc.desired_tasks > 0 and svc.running_tasks >= svc.desired_tasks):
        waiting = not_running(svc.tasks)
        found.append(Finding(subject, "replicas running", svc.running_tasks, f"{svc.desired_tasks} (desired)",
                             says=f"{svc.running_tasks}/{svc.desired_tasks} replicas running ({svc.mode})"
                             + (f"; not running: {'; '.join(describe(t, nodes) for t in waiting)}" if waiting else "")))
    sick = {tid: h for tid, h in health.items() if h != "healthy"}
    if svc.has_healthcheck and sick:
        found.append(Finding(subject, "task health", sick, "healthy",
                             says="tasks not healthy: "
                             + ", ".join(f"task {tid} is {h!r}" for tid, h in sick.items())))
    if failures:
        found.append(Finding(subject, "task failures", len(failures), f"none in the last {window_min:g} min",
                             says=f"{len(failures)} task failure(s)/restart(s) in the last {window_min:g} min: "
                             + "; ".join(describe(t, nodes) for t in failures[:LISTED_FAILURES])))
    return found


def restart_counts(containers: Iterable[ContainerFacts]) -> dict[str, int]:
    """Container name -> how often Docker restarted it (its restart policy)."""
    return {c.name: int(c.inspect.get("RestartCount") or 0) for c in containers}


def no_container(service: str, project: str) -> Finding:
    return Finding(f"service {service}", "containers", 0, "at least 1", says=f"no container in project {project}")


def compose_findings(service: str, containers: list[ContainerFacts]) -> list[Finding]:
    """A Compose project has no tasks: each container running, healthy (or without a healthcheck),
    never restarted by Docker."""
    subject = f"service {service}"
    found = [Finding(subject, f"{c.name} status", c.status, "running", says=f"{c.name} is {c.status}")
             for c in containers if c.status != "running"]
    found += [Finding(subject, f"{c.name} health", c.health, "healthy", says=f"{c.name} is {c.health}")
              for c in containers if c.health not in ("", "healthy")]
    found += [Finding(subject, f"{name} restarts", n, 0, says=f"{name} restarted {n} time(s)")
              for name, n in restart_counts(containers).items() if n]
    return found
