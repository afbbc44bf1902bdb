"""INF-06 logic over swarm task history: what counts as a task failure or restart, and how to say it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from nestgate.probes.engine_facts import TaskFacts

# A task that ended on its own (crash, exit, health kill, OOM) or was refused a node. "shutdown"
# is the orchestrator stopping a task on purpose (update, scale down) and is not a failure.
FAILED_STATES = frozenset({"failed", "complete", "rejected", "orphaned"})


def failures_since(tasks: Iterable[TaskFacts], since: float) -> list[TaskFacts]:
    """Tasks that failed or ended by themselves at or after `since` (epoch seconds)."""
    return [t for t in tasks
            if t.state in FAILED_STATES and t.timestamp is not None and t.timestamp >= since]


def running(tasks: Iterable[TaskFacts]) -> list[TaskFacts]:
    return [t for t in tasks if t.desired_state == "running" and t.state == "running"]


def not_running(tasks: Iterable[TaskFacts]) -> list[TaskFacts]:
    """Tasks the orchestrator wants running that are not (pending, starting, assigned...)."""
    return [t for t in tasks if t.desired_state == "running" and t.state != "running"]


def describe(task: TaskFacts) -> str:
    when = "?" if task.timestamp is None else dt.datetime.fromtimestamp(task.timestamp, dt.UTC).strftime("%H:%M:%SZ")
    slot = f" slot {task.slot}" if task.slot is not None else ""
    why = task.error or task.message or "no reason given"
    code = f", exit {task.exit_code}" if task.exit_code not in (None, 0) else ""
    return f"task {task.id[:12]}{slot} {task.state} at {when}{code}: {why}"
