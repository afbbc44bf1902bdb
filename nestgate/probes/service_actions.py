"""Actions on the target's services that WRITE (restart) or read diagnostics for an incident.

Only the watch actions call these, and a restart only when [watch.actions].restart_service is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import docker.errors

from nestgate.errors import EvidenceUnavailable, one_line
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import LogLine


@dataclass(frozen=True)
class RestartResult:
    ok: bool
    message: str
    how: str  # "service update --force" (swarm) or "container restart" (compose)


def _full_name(engine: Engine, service: str) -> str:
    return f"{engine.stack}_{service}"


def force_restart(engine: Engine, service: str) -> RestartResult:
    """`docker service update --force` (swarm: new tasks, same spec) or a restart of the
    service's containers (compose). Failures come back as ok=False with the daemon's reason."""
    if engine.orchestrator != "swarm":
        return _restart_containers(engine, service)
    name = _full_name(engine, service)
    how = "service update --force"
    try:
        raw = engine.call("service inspect", lambda api: api.inspect_service(name))
        template = dict(raw["Spec"]["TaskTemplate"])
        template["ForceUpdate"] = int(template.get("ForceUpdate") or 0) + 1
        version = int(raw["Version"]["Index"])
        # fetch_current_spec: every field not given here keeps its current value
        engine.call("service update", lambda api: api.update_service(
            raw["ID"], version, task_template=template, fetch_current_spec=True))
    except docker.errors.NotFound:
        return RestartResult(False, f"service {name} not found", how)
    except (docker.errors.APIError, EvidenceUnavailable, KeyError, TypeError, ValueError) as exc:
        return RestartResult(False, f"{name}: {one_line(exc)}", how)
    return RestartResult(True, f"{name}: force update {template['ForceUpdate']} accepted", how)


def _restart_containers(engine: Engine, service: str) -> RestartResult:
    how = "container restart"
    try:
        mine = [c for c in engine.containers_now() if c.service == service]
        if not mine:
            return RestartResult(False, f"no container of service {service}", how)
        for c in mine:
            engine.call("container restart", lambda api, cid=c.id: api.restart(cid, timeout=10))
    except (docker.errors.APIError, EvidenceUnavailable) as exc:
        return RestartResult(False, f"{service}: {one_line(exc)}", how)
    return RestartResult(True, f"{service}: {len(mine)} container(s) restarted", how)


@dataclass
class Diagnostics:
    """What the engine says about one service: its spec, its containers, their recent logs."""

    service: str
    service_inspect: dict[str, Any] | None = None
    containers: list[dict[str, Any]] = field(default_factory=list)
    logs: list[LogLine] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # what could not be read, one line each


def diagnostics(engine: Engine, service: str, since: float) -> Diagnostics:
    """Reads only. Each part that fails is named in `errors`; the rest is still collected."""
    out = Diagnostics(service)
    if engine.orchestrator == "swarm":
        try:
            out.service_inspect = engine.call("service inspect",
                                              lambda api: api.inspect_service(_full_name(engine, service)))
        except (docker.errors.APIError, EvidenceUnavailable) as exc:
            out.errors.append(f"service inspect: {one_line(exc)}")
    try:
        mine = [c for c in engine.containers_now() if c.service == service]
    except (docker.errors.APIError, EvidenceUnavailable) as exc:
        out.errors.append(f"container ls: {one_line(exc)}")
        return out
    if not mine:
        out.errors.append(f"no container of service {service} (running or stopped)")
    for c in mine:
        try:
            out.containers.append(engine.call("container inspect", lambda api, cid=c.id: api.inspect_container(cid)))
            out.logs += engine.logs(c, since)
        except docker.errors.NotFound:
            out.errors.append(f"container {c.name}: removed while reading")
        except (docker.errors.APIError, EvidenceUnavailable) as exc:
            out.errors.append(f"container {c.name}: {one_line(exc)}")
    out.logs.sort(key=lambda line: line.timestamp)
    return out
