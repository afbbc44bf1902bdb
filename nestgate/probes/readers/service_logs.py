"""`GET /tasks/{id}/logs?timestamps=1&details=1` lines (what `docker service logs` reads) as facts.

Each line reads `<RFC 3339 timestamp> <details> <text>`. The details are the manager's attribution,
`key=value` pairs joined by commas, values URL-query-escaped (Go's url.QueryEscape):
com.docker.swarm.node.id, com.docker.swarm.service.id and com.docker.swarm.task.id, so every line
keeps the task and the node it came from whatever node that is.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote_plus

from nestgate.probes.engine_facts import LogLine, TaskFacts
from nestgate.probes.readers.timestamps import epoch

NODE, TASK = "com.docker.swarm.node.id", "com.docker.swarm.task.id"


def details(raw: str) -> dict[str, str]:
    """`k=v,k=v` (values query-escaped) as a dict; pairs without '=' are ignored."""
    pairs = (part.split("=", 1) for part in raw.split(",") if "=" in part)
    return {unquote_plus(k): unquote_plus(v) for k, v in pairs}


def task_name(service_full: str, task: TaskFacts | None, task_id: str) -> str:
    """The task's container name as swarm gives it: <service>.<slot, or node ID for global>.<task ID>."""
    if task is None:
        return f"{service_full}.{task_id}"
    return f"{service_full}.{task.slot if task.slot is not None else task.node_id}.{task.id}"


def service_log_lines(raw: bytes | str, service: str, service_full: str, tasks: Mapping[str, TaskFacts],
                      nodes: Mapping[str, str]) -> list[LogLine]:
    """Lines of one service, each with its task's container name and its node's hostname (the node
    ID when the manager does not list it). A line without a timestamp continues the one before."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    out: list[LogLine] = []
    for line in text.splitlines():
        stamp, _, rest = line.partition(" ")
        when = epoch(stamp)
        if when is None:
            if out:
                last = out[-1]
                out.append(LogLine(last.container, service, last.timestamp, line, last.node, last.task))
            continue
        attrs, _, message = rest.partition(" ")
        meta = details(attrs)
        task_id, node_id = meta.get(TASK, ""), meta.get(NODE, "")
        out.append(LogLine(task_name(service_full, tasks.get(task_id), task_id), service, when, message,
                           nodes.get(node_id) or node_id, task_id))
    return out
