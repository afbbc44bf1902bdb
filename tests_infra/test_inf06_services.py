"""INF-06 — All services running and healthy (5/5) (`All services running and healthy (5/5)`).

Declared side: every expected service (target.services) is in the compose file with at least one
replica. Runtime side, per service: every desired replica is running (swarm's own desired and
running task counts, replicated or global), every running task's container is healthy (when
the service has a healthcheck; BLD-05 requires one), and no task failed or ended by itself within
the window (swarm task history: a crash, a health kill or an OOM kill shows as a failed task,
and swarm's restart is a new task in the same slot).
"""

import time

import pytest

from nestgate.gate.params import each_service
from nestgate.rules.inf06_services import describe, failures_since, not_running, running

pytestmark = pytest.mark.infra


@pytest.mark.declared
@pytest.mark.control("INF-06", service=each_service)
def test_service_declared_with_replicas(service, target_config, declared, evidence):
    services = declared.services
    evidence.source("docker compose config --format json: services.<service>.deploy")
    assert service in services, (
        f"expected service {service} is not declared in {', '.join(map(str, target_config.compose_paths))} "
        f"(declared: {', '.join(sorted(services)) or 'none'})")
    mode = services[service].get("deploy", "mode", default="replicated")
    replicas = services[service].get("deploy", "replicas", default=1)
    evidence.measure(mode=mode, replicas=replicas)
    evidence.limit(replicas_at_least=1)
    assert mode == "global" or (isinstance(replicas, int) and replicas >= 1), (
        f"service {service} declares {replicas} replicas (mode {mode}): it would never run")


@pytest.mark.runtime
@pytest.mark.control("INF-06", service=each_service)
def test_service_replicas_running_and_healthy(service, target_config, engine, evidence):
    window_min = target_config.model.infra.services.window_min
    since = time.time() - window_min * 60
    evidence.limit(running="desired", health="healthy", failures_within_min=window_min, max_failures=0)
    if target_config.model.target.orchestrator != "swarm":
        _compose_service(service, engine, evidence)
        return
    evidence.source(f"GET /services?status=true and GET /tasks on {engine.url} (stack {engine.stack})")
    states = {s.name: s for s in engine.service_states()}
    assert service in states, (
        f"expected service {service} is not deployed in stack {engine.stack} "
        f"(deployed: {', '.join(sorted(states)) or 'none'})")
    svc = states[service]
    live = running(svc.tasks)
    health = {c.id: c.health or "none" for c in engine.containers()}
    task_health = {t.id[:12]: health.get(t.container_id, "gone") for t in live}
    failures = failures_since(svc.tasks, since)
    waiting = not_running(svc.tasks)
    evidence.measure(mode=svc.mode, desired=svc.desired_tasks, running=svc.running_tasks, task_health=task_health,
                     failures=[describe(t) for t in failures], not_running=[describe(t) for t in waiting])

    assert svc.desired_tasks > 0 and svc.running_tasks >= svc.desired_tasks, (
        f"service {service}: {svc.running_tasks}/{svc.desired_tasks} replicas running ({svc.mode})"
        + (f"; not running: {'; '.join(describe(t) for t in waiting)}" if waiting else ""))
    if svc.has_healthcheck:
        sick = {tid: h for tid, h in task_health.items() if h != "healthy"}
        assert not sick, f"service {service}: running tasks not healthy: " + ", ".join(
            f"task {tid} is {h!r}" for tid, h in sick.items())
    assert not failures, (
        f"service {service}: {len(failures)} task failure(s)/restart(s) in the last {window_min:g} min: "
        + "; ".join(describe(t) for t in failures[:5]))


def _compose_service(service, engine, evidence):
    """A Compose project has no tasks: containers, their health and Docker's restart count."""
    evidence.source(f"GET /containers/json?all=1 and inspect on {engine.url} (project {engine.stack})")
    mine = [c for c in engine.containers() if c.service == service]
    assert mine, f"expected service {service} has no container in project {engine.stack}"
    restarts = {c.name: int(c.inspect.get("RestartCount") or 0) for c in mine}
    evidence.measure(containers={c.name: f"{c.status}/{c.health or 'no healthcheck'}" for c in mine},
                     restarts=restarts)
    bad = [f"{c.name} is {c.status}" for c in mine if c.status != "running"]
    bad += [f"{c.name} is {c.health}" for c in mine if c.health not in ("", "healthy")]
    bad += [f"{name} restarted {n} time(s)" for name, n in restarts.items() if n]
    assert not bad, f"service {service}: " + "; ".join(bad)
