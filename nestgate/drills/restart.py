"""Restart a service of the target: a write, run by the watch's actions only when
[watch.actions].restart_service is on."""

from __future__ import annotations

from dataclasses import dataclass

import docker.errors

from nestgate.errors import EvidenceUnavailable, one_line
from nestgate.probes.diagnostics import full_name
from nestgate.probes.engine import Engine


@dataclass(frozen=True)
class RestartResult:
    ok: bool
    message: str
    how: str  # "service update --force" (swarm) or "container restart" (compose)


def force_restart(engine: Engine, service: str) -> RestartResult:
    """`docker service update --force` (swarm: new tasks, same spec) or a restart of the
    service's containers (compose). Failures come back as ok=False with the daemon's reason."""
    if engine.orchestrator != "swarm":
        return _restart_containers(engine, service)
    name = full_name(engine, service)
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
