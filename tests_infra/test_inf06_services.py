"""INF-06 — All services running and healthy (5/5) (`All services running and healthy (5/5)`).

Declared side: every expected service (target.services) is in the compose file with at least one
replica. Runtime side, per service: every desired replica is running (swarm's own desired and
running task counts, replicated or global), every started task is healthy (when the service has a
healthcheck; BLD-05 requires one), and no task failed or ended by itself within the window (swarm
task history: a crash, a health kill or an OOM kill shows as a failed task, and swarm's restart is
a new task in the same slot). Tasks are judged by the swarm's task state from the manager, on
whichever node they run (swarm runs a task with a healthcheck only once it passed, and fails it
when it turns unhealthy), and named with their node in the evidence.
"""

import time

import pytest

from nestgate.gate.params import each_service
from nestgate.rules.inf06_services import (
    compose_findings,
    declared_findings,
    describe,
    failures_since,
    no_container,
    not_running,
    restart_counts,
    swarm_findings,
    task_health,
)

pytestmark = pytest.mark.infra


@pytest.mark.declared
@pytest.mark.control("INF-06", service=each_service)
def test_service_declared_with_replicas(service, stack, evidence):
    evidence.source("docker compose config --format json: services.<service>.deploy")
    declared = stack.service(service)
    mode = declared.get("deploy", "mode", default="replicated")
    replicas = declared.get("deploy", "replicas", default=1)
    evidence.measure(mode=mode, replicas=replicas)
    evidence.limit(replicas_at_least=1)
    found = evidence.judge(declared_findings(service, mode, replicas))
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("INF-06", service=each_service)
def test_service_replicas_running_and_healthy(service, target_config, stack, engine, evidence):
    window_min = target_config.model.infra.services.window_min
    since = time.time() - window_min * 60
    evidence.limit(running="desired", health="healthy", failures_within_min=window_min, max_failures=0)
    if target_config.model.target.orchestrator != "swarm":
        found = evidence.judge(_compose_findings(service, engine, evidence))
        assert not found, found.message
        return
    svc = stack.deployed(service)
    evidence.source(f"GET /nodes on {engine.url} (the node of each task)")
    nodes = {n.id: n.hostname for n in engine.nodes()}
    health = task_health(svc.tasks, svc.has_healthcheck, nodes)
    failures = failures_since(svc.tasks, since)
    evidence.measure(mode=svc.mode, desired=svc.desired_tasks, running=svc.running_tasks, task_health=health,
                     failures=[describe(t, nodes) for t in failures],
                     not_running=[describe(t, nodes) for t in not_running(svc.tasks)])
    found = evidence.judge(swarm_findings(service, svc, health, failures, window_min, nodes))
    assert not found, found.message


def _compose_findings(service, engine, evidence):
    """A Compose project has no tasks: containers, their health and Docker's restart count."""
    evidence.source(f"GET /containers/json?all=1 and inspect on {engine.url} (project {engine.stack})")
    mine = [c for c in engine.containers() if c.service == service]
    if not mine:
        evidence.fail(no_container(service, engine.stack))
    evidence.measure(containers={c.name: f"{c.status}/{c.health or 'no healthcheck'}" for c in mine},
                     restarts=restart_counts(mine))
    return compose_findings(service, mine)
