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
from nestgate.probes.readers.health_log import DeclaredCheck, compose_check, image_check
from nestgate.rules.bld05_healthchecks import declared_problem

pytestmark = [pytest.mark.build]


@pytest.mark.declared
@pytest.mark.control("BLD-05", service=each_service)
def test_service_declares_a_healthcheck(service, target_config, declared, engine, evidence):
    limit = target_config.model.build.healthy_within_s
    evidence.source(f"{' + '.join(map(str, target_config.compose_paths))} via `compose config`")
    evidence.limit(healthcheck="declared and enabled", first_probe_before_s=limit)
    services = declared.services
    assert service in services, f"service {service} is not in the compose file(s) (they declare: {', '.join(services)})"
    spec = services[service]
    check, origin = compose_check(spec.get("healthcheck")), "compose file"
    if check is None or (not check.test and not check.disabled):
        image = str(spec.get("image") or "")
        raw = image_healthcheck(engine, image) if image else None
        evidence.source(f"GET /images/{image}/json on {engine.url}")
        if raw is None:
            raise EvidenceUnavailable(f"service {service} declares no healthcheck in the compose file, and its "
                                      f"image {image or '(none)'} is not on this engine to read a HEALTHCHECK from")
        from_image = image_check(raw)
        if check is None:
            check, origin = from_image, f"image {image}"
        else:  # the compose file sets timings only; the test comes from the image
            check = DeclaredCheck(from_image.test if from_image else [], check.interval_s,
                                  bool(from_image and from_image.disabled))
            origin = f"compose timings, test from image {image}"
    evidence.measure(origin=origin, test=check.test if check else None,
                     interval_s=check.interval_s if check else None)
    problem = declared_problem(check, limit)
    assert not problem, f"service {service} {problem} ({origin})"


@pytest.mark.runtime
@pytest.mark.control("BLD-05", service=each_service)
def test_containers_become_healthy_within_the_limit(service, target_config, engine, evidence):
    limit = target_config.model.build.healthy_within_s
    stack = target_config.model.target.stack
    containers = [c for c in engine.running() if c.service == service]
    evidence.source(f"GET /containers/json + /containers/{{id}}/json on {engine.url} (stack {stack})")
    evidence.limit(healthy_within_s=limit)
    assert containers, f"service {service}: no running container in stack {stack}"

    measured, problems = {}, []
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
        name = f"container {state.container}"
        if state.status == "":
            problems.append(f"{name} has no healthcheck (State.Health absent)")
        elif state.status == "gone":
            problems.append(f"{name} disappeared while being checked")
        elif state.status == "starting":
            since = f"{(dt.datetime.now(dt.UTC) - state.started).total_seconds():.1f} s" if state.started else "?"
            problems.append(f"{name} is still starting {since} after its start, not healthy within {limit:g} s")
        elif timing is None and state.status == "unhealthy":
            problems.append(f"{name} is unhealthy and the engine holds no record of it becoming healthy")
        elif timing is None:
            raise EvidenceUnavailable(f"{name}: the engine no longer records when it became healthy (health log "
                                      "rotated, no swarm task, start event out of the daemon's event buffer)")
        elif timing.seconds > limit:
            problems.append(f"{name} became healthy {timing.seconds:.1f} s after its start "
                            f"(limit {limit:g} s; from {timing.source})")
    evidence.measure(containers=measured)
    assert not problems, f"service {service}: " + "; ".join(problems)
