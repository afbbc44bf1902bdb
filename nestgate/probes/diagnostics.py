"""What the engine says about one service for an incident: its spec, containers and recent logs (reads only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import docker.errors

from nestgate.errors import EvidenceUnavailable, one_line
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import LogLine


def full_name(engine: Engine, service: str) -> str:
    return f"{engine.stack}_{service}"


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
                                              lambda api: api.inspect_service(full_name(engine, service)))
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
