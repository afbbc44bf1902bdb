"""INF-08 — Rollback procedures tested and ready (`Rollback procedures tested and ready`).

Each service the target builds (compose `build:`) needs a previous image to roll back to. The
swarm service's PreviousSpec (what `docker service rollback` returns to) counts when it runs a
different image that still exists on the engine. Otherwise the entry in the configured rollback
record file counts (nestgate/rollback_record.py). The rollback drill time belongs to the deploy
wrapper.
"""

import pytest

from nestgate.rollback_record import problem, read_record

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-08")
def test_built_services_have_previous_image(target_config, declared, engine, evidence):
    built = sorted(name for name, svc in declared.services.items() if svc.has_build)
    evidence.source("docker compose config --format json: services with build:")
    assert built, (f"{', '.join(map(str, target_config.compose_paths))} declares no service with build: "
                   "nothing to roll back")
    record_file = target_config.model.infra.rollback.record_file
    record = read_record(target_config.resolve(record_file)) if record_file else {}
    if record_file:
        evidence.source(f"rollback record {target_config.resolve(record_file)}")
    evidence.source(f"GET /services (Spec, PreviousSpec) and GET /images/<ref>/json on {engine.url}")
    evidence.limit(previous_image="recorded, different from the current one, present on the engine")
    states = {s.name: s for s in engine.service_states()}
    found, problems = {}, []
    for name in built:
        svc = states.get(name)
        if svc is None:
            problems.append(f"{name}: built service is not deployed in stack {engine.stack}")
            continue
        previous, origin = svc.previous_image, "swarm PreviousSpec"
        if not previous and name in record:
            previous, origin = record[name], f"record {record_file}"
        elif not previous:
            origin = "no PreviousSpec" + (f", no entry in {record_file}" if record_file else "")
        exists = engine.image_exists(previous) if previous and previous != svc.image else None
        found[name] = {"current": svc.image, "previous": previous, "from": origin, "present": exists}
        why = problem(name, svc.image, previous, origin, exists)
        if why:
            problems.append(why)
    evidence.measure(services=found)
    assert not problems, "; ".join(problems)
