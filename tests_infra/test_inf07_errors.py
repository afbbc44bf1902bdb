"""INF-07 — Error rate: <10 errors/minute (`Error rate: <10 errors/minute`).

On a swarm, every task of every service of the stack that had a container is read through the
manager (`docker service logs <task>`, with timestamps and details): the tasks on every node,
running or not, since a crashed task's errors count too, each line kept with its task and node.
On a Compose project, every container of the project still on the engine is read. Lines come over
the window (`since`, daemon timestamps).
Lines matching the configured pattern are errors. "Per minute" is the peak: the most errors within
any 60-second span of the window (nestgate/rules/inf07_errors.py). The average over the observed
span is recorded beside it, with the errors per service and per node.
"""

import time

import pytest

from nestgate.rules.inf07_errors import (
    SPAN_S,
    average_per_minute,
    errors_by_node,
    errors_by_source,
    matching,
    no_containers,
    peak,
    rate_findings,
)

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-07")
def test_error_rate_under_limit(target_config, engine, evidence):
    infra = target_config.model.infra
    now = time.time()
    since = now - infra.logs.window_min * 60
    evidence.limit(errors_per_minute_below=infra.errors_per_minute_limit, pattern=infra.logs.pattern,
                   window_min=infra.logs.window_min,
                   rate="peak count of matching lines within any 60 s span of the window")
    if target_config.model.target.orchestrator == "swarm":
        lines = _service_lines(engine, since, infra.logs.window_min, evidence)
    else:
        lines = _container_lines(engine, since, infra.logs.window_min, evidence)
    errors = matching(lines, infra.logs.pattern)
    top = peak([e.timestamp for e in errors], SPAN_S)
    observed_s = now - max(since, min((line.timestamp for line in lines), default=now))
    evidence.measure(lines=len(lines), error_lines=len(errors),
                     errors_by_service=errors_by_source(errors), errors_by_node=errors_by_node(errors),
                     peak_per_minute=top.count,
                     peak_span_start=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(top.start)) if top.count else None,
                     average_per_minute=round(average_per_minute(len(errors), observed_s), 2),
                     observed_min=round(observed_s / 60, 1))
    found = evidence.judge(rate_findings(engine.stack, errors, top, infra.errors_per_minute_limit,
                                         infra.logs.window_min))
    assert not found, found.message


def _service_lines(engine, since, window_min, evidence):
    """Every service's logs through the manager: every task on every node, named with its node."""
    evidence.source(f"GET /tasks/<id>/logs?since=<now-{window_min:g} min>&timestamps=1&details=1 on {engine.url} "
                    f"(docker service logs <task>: every task on every node) of every service of stack "
                    f"{engine.stack}; GET /nodes for node names")
    services = engine.service_states()
    if not services:  # no service, no task, no container: the same finding as a Compose project's
        evidence.fail(no_containers(engine.stack))
    nodes = engine.node_names()
    lines = [line for s in services for line in engine.service_logs(s, since, nodes)]
    evidence.measure(services=len(services), tasks_logging=len({line.task for line in lines}),
                     nodes_logging=sorted({line.node for line in lines}))
    return lines


def _container_lines(engine, since, window_min, evidence):
    """A Compose project has no services in the swarm sense: every container of the project."""
    evidence.source(f"GET /containers/<id>/logs?since=<now-{window_min:g} min>&timestamps=1 "
                    f"on {engine.url}, every container of project {engine.stack}")
    containers = engine.containers()
    if not containers:
        evidence.fail(no_containers(engine.stack))
    evidence.measure(containers=len(containers))
    return [line for c in containers for line in engine.logs(c, since)]
