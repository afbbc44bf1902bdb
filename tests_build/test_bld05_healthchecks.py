"""BLD-05 — Container health checks respond within 30 seconds.

Declared: every service has an enabled healthcheck (compose file, else its image's HEALTHCHECK)
whose first probe can run within the limit. Runtime: each running container of the service became
healthy within the limit of its start, timed by the engine's own clocks (State.StartedAt against
the first passing probe, the swarm task's starting -> running moment, or engine events), never by
when nestgate looked. A container still starting is watched until the limit has passed.
"""

import datetime as dt

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.gate.params import each_service
from nestgate.probes.health import current, healthy_after, image_healthcheck, wait_while_starting
from nestgate.probes.readers.health_log import compose_check, image_check
from nestgate.rules.bld05_healthchecks import declared_findings, effective_check, needs_image_check, timing_findings

pytestmark = [pytest.mark.build]


@pytest.mark.declared
@pytest.mark.control("BLD-05", service=each_service)
def test_service_declares_a_healthcheck(service, target_config, stack, engine, evidence):
    limit = target_config.model.build.healthy_within_s
    evidence.limit(healthcheck="declared and enabled", first_probe_before_s=limit)
    spec = stack.service(service).spec
    check = compose_check(spec.get("healthcheck"))
    image, from_image = str(spec.get("image") or ""), None
    if needs_image_check(check):
        raw = image_healthcheck(engine, image) if image else None
        evidence.source(f"GET /images/{image}/json on {engine.url}")
        if raw is None:
            raise EvidenceUnavailable(f"service {service} declares no healthcheck in the compose file, and its "
                                      f"image {image or '(none)'} is not on this engine to read a HEALTHCHECK from")
        from_image = image_check(raw)
    check, origin = effective_check(check, image, from_image)
    evidence.measure(origin=origin, test=check.test if check else None,
                     interval_s=check.interval_s if check else None)
    found = evidence.judge(declared_findings(service, check, origin, limit))
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("BLD-05", service=each_service)
def test_containers_become_healthy_within_the_limit(service, target_config, stack, engine, evidence):
    limit = target_config.model.build.healthy_within_s
    evidence.limit(healthy_within_s=limit)
    containers = stack.running(service)
    evidence.source(f"GET /containers/{{id}}/json on {engine.url} (State.Health)")

    measured, found = {}, []
    for container in containers:
        state = current(engine, container)
        if state.status == "starting" and state.started:
            state = wait_while_starting(engine, container, state.started + dt.timedelta(seconds=limit + 1))
        timing = healthy_after(engine, state) if state.status in ("healthy", "unhealthy") else None
        if timing:
            evidence.source(timing.source)
        measured[state.container] = {"started_at": state.started.isoformat() if state.started else None,
                                     "status": state.status, "healthy_after_s": round(timing.seconds, 2)
                                     if timing else None, "source": timing.source if timing else None}
        found += timing_findings(service, state, timing, limit, dt.datetime.now(dt.UTC))
    evidence.measure(containers=measured)
    found = evidence.judge(found)
    assert not found, found.message
