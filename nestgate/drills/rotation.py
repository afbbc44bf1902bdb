"""The SEC-06 rotation drill, as an operator would do it by hand:

    docker secret create <prefix>_<name>_v(N+1) -
    docker service update --secret-rm <..._vN> --secret-add source=<..._vN+1>,target=<same> <svc>
    (wait until every such service runs healthy on the new version)
    docker secret rm <..._vN>

Destructive: callers run it only when destructive drills are allowed. A failure stops before the
old version is removed, so the operator can roll back to it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import docker.errors

from nestgate.errors import EvidenceUnavailable
from nestgate.probes import swarm_objects
from nestgate.probes.engine import Engine
from nestgate.probes.swarm_objects import ServiceFacts
from nestgate.progress import Step, step

POLL_S = 1.0
BAD_UPDATE_STATES = {"paused", "rollback_started", "rollback_paused", "rollback_completed"}
logger = logging.getLogger(__name__)


@dataclass
class DrillReport:
    old: str
    new: str
    services: list[str]
    timings_s: dict[str, float] = field(default_factory=dict)
    failure: str = ""  # "" when every step succeeded


# -- the writes -------------------------------------------------------------------------
def _api_error(what: str, exc: docker.errors.APIError) -> EvidenceUnavailable:
    return EvidenceUnavailable(f"{what}: the engine refused: {exc.explanation or exc}")


def create_secret(engine: Engine, name: str, value: bytes, labels: dict[str, str]) -> str:
    try:
        made = engine.call("secret create", lambda api: api.create_secret(name=name, data=value, labels=labels))
    except docker.errors.APIError as exc:
        raise _api_error(f"creating secret {name}", exc) from None
    return str(made["ID"])


def remove_secret(engine: Engine, secret_id: str, name: str) -> None:
    try:
        engine.call("secret rm", lambda api: api.remove_secret(secret_id))
    except docker.errors.APIError as exc:
        raise _api_error(f"removing secret {name}", exc) from None


def swap_service_secret(engine: Engine, service: ServiceFacts, old_name: str, new_id: str, new_name: str) -> None:
    """`docker service update --secret-rm OLD --secret-add source=NEW,target=<same>` (same uid,
    gid and mode), as one spec update so swarm rolls the tasks once."""
    template = dict(service.spec.get("TaskTemplate") or {})
    container = dict(template.get("ContainerSpec") or {})
    swapped = []
    for ref in container.get("Secrets") or []:
        if ref.get("SecretName") == old_name:
            ref = {**ref, "SecretID": new_id, "SecretName": new_name}
        swapped.append(ref)
    container["Secrets"] = swapped
    template["ContainerSpec"] = container
    try:
        # fetch_current_spec: every other part of the spec (name, labels, mode, update and
        # rollback config, endpoint) stays as it is.
        engine.call("service update", lambda api: api.update_service(
            service.id, service.version, task_template=template, fetch_current_spec=True))
    except docker.errors.APIError as exc:
        raise _api_error(f"updating service {service.full_name}", exc) from None


def users_of(services: list[ServiceFacts], secret_name: str) -> list[ServiceFacts]:
    return [s for s in services if any(u.secret_name == secret_name for u in s.secrets)]


def _progress(engine: Engine, service: ServiceFacts, secret_name: str) -> tuple[str, str]:
    """("done" | "waiting" | "failed", status line); done = every desired replica runs healthy
    with the new secret and the update completed."""
    raw = swarm_objects.service_inspect(engine, service.id)
    update = raw.get("UpdateStatus") or {}
    state = str(update.get("State") or "")
    if state in BAD_UPDATE_STATES:
        return "failed", f"update {state}: {update.get('Message', '')}".strip()
    replicas = int(((raw.get("Spec") or {}).get("Mode") or {}).get("Replicated", {}).get("Replicas", 1))
    good = stale = 0
    for task in swarm_objects.service_tasks(engine, service):
        if task.get("DesiredState") != "running":
            continue
        secrets = ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Secrets") or []
        if not any(s.get("SecretName") == secret_name for s in secrets):
            stale += 1
            continue
        status = task.get("Status") or {}
        cid = (status.get("ContainerStatus") or {}).get("ContainerID", "")
        if status.get("State") == "running" and cid and \
                swarm_objects.container_health(engine, cid) in ("healthy", "none"):
            good += 1
    line = f"{good}/{replicas} healthy on {secret_name}, {stale} still on the old version, update {state or 'n/a'}"
    done = good >= replicas and stale == 0 and state in ("", "completed")
    return ("done" if done else "waiting"), line


def rotate(engine: Engine, old: str, new: str, value: bytes, timeout_s: float) -> DrillReport:
    # Names only: the value never reaches a log line.
    with step(logger, f"rotation drill {old} -> {new} (SEC-06)") as drill:
        report = _rotate(engine, old, new, value, timeout_s, drill)
        drill.result = f"failed: {report.failure}" if report.failure else "done"
    return report


def _rotate(engine: Engine, old: str, new: str, value: bytes, timeout_s: float, drill: Step) -> DrillReport:
    started = time.monotonic()
    secrets = {s.name: s for s in swarm_objects.secrets(engine)}
    users = users_of(swarm_objects.services(engine), old)
    report = DrillReport(old, new, [s.name for s in users])
    if old not in secrets:
        report.failure = f"secret {old} does not exist"
        return report
    labels = {**secrets[old].labels, "nestgate.rotated-from": old}
    drill.note(f"creating secret {new}")
    new_id = create_secret(engine, new, value, labels)
    report.timings_s["create"] = round(time.monotonic() - started, 2)

    drill.note(f"updating {', '.join(report.services) or 'no services'} to {new}")
    for svc in users:
        swap_service_secret(engine, svc, old, new_id, new)
    report.timings_s["update_issued"] = round(time.monotonic() - started, 2)

    deadline = time.monotonic() + timeout_s
    waiting = {svc.name: svc for svc in users}
    status: dict[str, str] = {}
    drill.note(f"waiting until {', '.join(waiting) or 'nothing'} run healthy on {new} (at most {timeout_s:g} s)")
    drill.detail = lambda: "; ".join(f"{n}: {status.get(n, 'not read yet')}" for n in list(waiting))
    while waiting:
        for name, svc in list(waiting.items()):
            progress, status[name] = _progress(engine, svc, new)
            if progress == "done":
                report.timings_s[f"converged:{name}"] = round(time.monotonic() - started, 2)
                del waiting[name]
            elif progress == "failed":
                report.failure = (f"service {svc.full_name} did not take {new}: {status[name]}; "
                                  f"{old} kept for rollback")
                return report
        if waiting and time.monotonic() > deadline:
            report.failure = ("not converged within {:g} s: {}; {} kept for rollback".format(
                timeout_s, "; ".join(f"{n}: {status[n]}" for n in waiting), old))
            return report
        if waiting:
            time.sleep(POLL_S)

    drill.note(f"removing secret {old}")
    remove_secret(engine, secrets[old].id, old)
    report.timings_s["old_removed"] = round(time.monotonic() - started, 2)
    report.timings_s["total"] = report.timings_s["old_removed"]
    return report
