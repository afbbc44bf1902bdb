"""BLD-05 — Container health checks respond within 30 seconds.

Declared: every service has an enabled healthcheck whose first probe can run within the limit (the
limit included): the compose file's, else, for a built service, the HEALTHCHECK of the Dockerfile's
target stage (or last stage, inherited from the stage it is FROM), else the pulled image's on this
engine (absent: fails, saying to pull it or declare the healthcheck in compose).
Runtime: each running container of the service became healthy within the limit of its start, timed
by the engine's own clocks (State.StartedAt against the first passing probe, the swarm task's
starting -> running moment, or engine events), never by when nestgate looked. A container still
starting is watched until the limit has passed.
"""

import datetime as dt

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.gate.params import each_service
from nestgate.probes.dockerfile_health import built_health
from nestgate.probes.health import current, healthy_after, image_healthcheck, wait_while_starting
from nestgate.probes.readers.health_log import compose_check, image_check
from nestgate.rules.bld05_healthchecks import (
    absent_image,
    declared_findings,
    effective_check,
    needs_image_check,
    timing_findings,
    timings,
)

pytestmark = [pytest.mark.build]


@pytest.mark.declared
@pytest.mark.control("BLD-05", service=each_service)
def test_service_declares_a_healthcheck(service, target_config, stack, engine, evidence):
    limit = target_config.model.build.healthy_within_s
    evidence.limit(healthcheck="declared and enabled", first_probe_within_s=limit)
    spec = stack.service(service).spec
    check = compose_check(spec.get("healthcheck"))
    source, from_source, raw = "", None, None
    if needs_image_check(check):
        source, raw = _image_side(service, spec, target_config.project_dir, engine, evidence)
        from_source = image_check(raw) if raw else None
    check, origin = effective_check(check, source, from_source)
    evidence.measure(origin=origin, test=check.test if check else None,
                     interval_s=check.interval_s if check else None, **({"healthcheck_options": timings(raw)}
                                                                      if raw else {}))
    found = evidence.judge(declared_findings(service, check, origin, limit))
    assert not found, found.message


def _image_side(service, spec, project_dir, engine, evidence) -> tuple[str, dict | None]:
    """Where the test comes from when the compose file leaves it to the image: the Dockerfile that
    builds it (its target stage, inherited from earlier stages), else the pulled image on this engine."""
    image = str(spec.get("image") or "")
    if isinstance(spec.get("build"), dict):
        built = built_health(spec["build"], project_dir)
        evidence.source(built.where)
        base = built.found.base_image
        if built.found.healthcheck is not None or not base or "$" in base or base == "scratch":
            return built.where, built.found.healthcheck
        # No HEALTHCHECK in the file: the image it starts FROM may carry one, when this engine has it.
        evidence.source(f"GET /images/{base}/json on {engine.url}")
        try:
            raw = image_healthcheck(engine, base)
        except EvidenceUnavailable:
            raw = None
        if raw:
            return f"{built.where}, inherited from image {base}", raw
        return f"{built.where}; base image {base}: {'none' if raw == {} else 'not on this engine'}", None
    evidence.source(f"GET /images/{image}/json on {engine.url}")
    raw = image_healthcheck(engine, image) if image else None
    if raw is None:
        raise EvidenceUnavailable(absent_image(service, image))
    return f"image {image}", raw


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
