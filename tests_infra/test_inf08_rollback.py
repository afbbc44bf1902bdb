"""INF-08 — Rollback procedures tested and ready (`Rollback procedures tested and ready`).

Ready: each service the target builds (compose `build:`) needs a previous image to roll back to.
The swarm service's PreviousSpec (what `docker service rollback` returns to) counts when it runs a
different image that still exists on the engine. Otherwise the entry in the configured rollback
record file counts (nestgate/probes/rollback_record.py); for a Compose target, which keeps no
previous spec, only the record can.

Tested: the newest rollback drill on record (`nestgate deploy --rollback CMD --rollback-drill`, in
rollback.json of kind "drill" under [infra.rollback].drill_reports, or in drill_record) finished
within drill_max_age_days (30), restored the stack, and did so within infra.rollback_limit_s (5
minutes). A real rollback (kind "rollback") is no drill. An unreadable or malformed record fails.
"""

import datetime as dt

import pytest

from nestgate.probes.rollback_record import read_drills, read_record
from nestgate.rules.inf08_rollback import (
    built_not_deployed,
    drill_findings,
    newest_drill,
    nothing_built,
    previous_from,
    rollback_findings,
)

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-08")
def test_built_services_have_previous_image(target_config, declared, engine, evidence):
    built = sorted(name for name, svc in declared.services.items() if svc.has_build)
    evidence.source("docker compose config --format json: services with build:")
    if not built:
        evidence.fail(nothing_built(declared.files))
    record_file = target_config.model.infra.rollback.record_file
    record = read_record(target_config.resolve(record_file)) if record_file else {}
    if record_file:
        evidence.source(f"rollback record {target_config.resolve(record_file)}")
    swarm = target_config.model.target.orchestrator == "swarm"
    deployed = "GET /services (Spec, PreviousSpec)" if swarm else "running containers' Config.Image"
    evidence.source(f"{deployed} and GET /images/<ref>/json on {engine.url}")
    evidence.limit(previous_image="recorded, different from the current one, present on the engine")
    states = {s.name: s for s in engine.service_states()} if swarm else {}
    services, findings = {}, []
    for name in built:
        current, previous, origin = _deployed(name, swarm, states, engine)
        if current is None:
            findings.append(built_not_deployed(name, engine.stack))
            continue
        previous, origin = previous_from(name, previous, origin, record, record_file)
        exists = engine.image_exists(previous) if previous and previous != current else None
        services[name] = {"current": current, "previous": previous, "from": origin, "present": exists}
        findings += rollback_findings(name, current, previous, origin, exists)
    evidence.measure(services=services)
    found = evidence.judge(findings)
    assert not found, found.message


@pytest.mark.control("INF-08")
def test_rollback_drill_recent_and_within_limit(target_config, evidence):
    infra = target_config.model.infra
    config = infra.rollback
    reports = target_config.resolve(config.drill_reports) if config.drill_reports else None
    record = target_config.resolve(config.drill_record) if config.drill_record else None
    evidence.source("rollback drill records: " + ", ".join(
        ([f"{reports}/*-deploy*/rollback.json (nestgate deploy --rollback-drill)"] if reports else [])
        + ([f"drill record {record}"] if record else [])))
    evidence.limit(drill_max_age_days=config.drill_max_age_days, rollback_limit_s=infra.rollback_limit_s,
                   restored=True)
    scan = read_drills(reports, record)
    newest = newest_drill(scan.drills)
    evidence.measure(drills=len(scan.drills), real_rollbacks=scan.rollbacks,
                     newest=None if newest is None else {"source": newest.source, **newest.record.model_dump(
                         mode="json", include={"kind", "started", "finished", "seconds", "limit_s", "restored",
                                               "rolled_back", "rolled_forward"})})
    found = evidence.judge(drill_findings(scan.drills, dt.datetime.now(dt.UTC), config.drill_max_age_days,
                                          infra.rollback_limit_s, "; ".join(scan.looked_in)))
    assert not found, found.message


def _deployed(name, swarm, states, engine) -> tuple[str | None, str, str]:
    """(current image or None when not deployed, previous image or "", where that came from)."""
    if swarm:
        svc = states.get(name)
        if svc is None:
            return None, "", ""
        return svc.image, svc.previous_image, "swarm PreviousSpec" if svc.previous_image else "no PreviousSpec"
    running = [c for c in engine.running() if c.service == name]
    # Compose replaces a container on update and keeps no previous spec: only a record can say.
    return (running[0].image if running else None), "", "Compose keeps no previous image"
