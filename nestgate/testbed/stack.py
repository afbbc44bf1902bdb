"""Deploy the stack, wait for it to converge, read its status, tear it down."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docker.errors import APIError, NotFound

from nestgate.progress import step
from nestgate.testbed.errors import TestbedError
from nestgate.testbed.run import client, docker_cli, run

LABEL = "nestgate.testbed.instance"
NAMESPACE = "com.docker.stack.namespace"
DEPLOY_TIMEOUT_S = 120
CONVERGE_TIMEOUT_S = 180
logger = logging.getLogger(__name__)


def deploy(instance: str, compose_file: Path) -> None:
    """`docker stack deploy` of the services in the file (no --prune: others are left alone).

    Every service in the file gets a ServiceUpdate, and swarm then records the spec it replaces as
    PreviousSpec even when nothing changed: so only changed services go into the file."""
    argv = [docker_cli(), "stack", "deploy", "--detach=true", "--resolve-image", "never",
            "-c", str(compose_file), instance]
    for attempt in range(4):
        try:
            with step(logger, f"docker stack deploy {instance} ({compose_file.name})"):
                run(argv, cwd=compose_file.parent, timeout=DEPLOY_TIMEOUT_S)
            return
        except TestbedError as exc:
            # The CLI reads a service's version then writes it: swarm finishing an update in
            # between bumps the version. Reading again is the documented remedy.
            if "update out of sequence" not in str(exc) or attempt == 3:
                raise
            time.sleep(1)


def services(instance: str) -> dict[str, Any]:
    """The stack's services by short name (app, postgres, ...)."""
    found = client().services.list(filters={"label": f"{NAMESPACE}={instance}"})
    prefix = instance + "_"
    return {s.name[len(prefix):]: s for s in found if s.name.startswith(prefix)}


def failed_tasks(instance: str) -> list[str]:
    """Every failed or rejected task in the stack's task history, as "<service>: <state>: <error>"."""
    out = []
    for name, svc in sorted(services(instance).items()):
        for task in svc.tasks():
            status = task.get("Status") or {}
            if status.get("State") in ("failed", "rejected"):
                out.append(f"{name}: {status.get('State')}: {status.get('Err') or status.get('Message') or '?'}")
    return out


def container_health(container_id: str) -> str:
    """'healthy', 'unhealthy', 'starting', 'none' (no healthcheck) or 'gone'."""
    try:
        attrs = client().api.inspect_container(container_id)
    except NotFound:
        return "gone"
    health = (attrs.get("State") or {}).get("Health")
    return health["Status"] if health else "none"


@dataclass
class ServiceStatus:
    name: str
    desired: int
    running: int
    healthy: int
    pending: int
    current: bool  # every live task runs the service's current spec
    image: str
    updating: bool = False  # a rolling update is still in progress (swarm's UpdateStatus)

    def line(self) -> str:
        tag = self.image.split("@")[0].rsplit("/", 1)[-1]
        return f"{self.name:<9} {self.running}/{self.desired} running  {self.healthy} healthy  {tag}"


def _spec_key(spec: dict[str, Any]) -> str:
    # Tasks copy the service's TaskTemplate, except the defaulted "Runtime" field.
    return json.dumps({k: v for k, v in spec.items() if k != "Runtime"}, sort_keys=True)


def service_status(svc: Any) -> ServiceStatus:
    svc.reload()
    spec = svc.attrs["Spec"]
    desired = (spec.get("Mode", {}).get("Replicated") or {}).get("Replicas", 0)
    template = spec["TaskTemplate"]
    no_check = (template["ContainerSpec"].get("Healthcheck") or {}).get("Test") == ["NONE"]
    running = healthy = pending = 0
    current = True
    for task in svc.tasks(filters={"desired-state": "running"}):
        state = task["Status"]["State"]
        if _spec_key(task["Spec"]) != _spec_key(template):
            current = False
        if state == "pending":
            pending += 1
        elif state == "running":
            running += 1
            cid = task["Status"].get("ContainerStatus", {}).get("ContainerID", "")
            health = container_health(cid) if cid else "gone"
            if health == "healthy" or (no_check and health == "none"):
                healthy += 1
    image = template["ContainerSpec"]["Image"]
    update = (svc.attrs.get("UpdateStatus") or {}).get("State", "")
    return ServiceStatus(svc.name.split("_", 1)[-1], desired, running, healthy, pending, current, image,
                         update in ("updating", "rollback_started"))


def wait_converged(instance: str, expect_pending: dict[str, int] | None = None,
                   timeout: float = CONVERGE_TIMEOUT_S) -> dict[str, ServiceStatus]:
    """Until every service runs its current spec with all replicas healthy (or the given number
    of replicas deliberately left pending)."""
    expect_pending = expect_pending or {}
    deadline = time.monotonic() + timeout
    with step(logger, f"waiting for stack {instance} to converge") as waited:
        while True:
            statuses = {name: service_status(s) for name, s in services(instance).items()}
            waiting = []
            for name, st in statuses.items():
                pend = expect_pending.get(name, 0)
                if not st.current or st.updating or st.healthy != st.desired - pend or st.pending != pend:
                    waiting.append(f"{name} {st.healthy}/{st.desired} healthy")
            if statuses and not waiting:
                return statuses
            waited.detail = ", ".join(waiting) or "no services yet"
            if time.monotonic() > deadline:
                raise TestbedError(f"stack {instance} not converged after {timeout:.0f} s: {', '.join(waiting)}")
            time.sleep(1)


def container_ids(filters: dict[str, Any], all_states: bool = True) -> list[str]:
    """IDs from the plain list call (the SDK's containers.list inspects each one, which races
    with swarm removing containers)."""
    return [c["Id"] for c in client().api.containers(all=all_states, filters=filters)]


def task_containers(instance: str, service: str) -> list[Any]:
    """Running containers of one service."""
    found = []
    ids = container_ids({"label": [f"{NAMESPACE}={instance}", f"com.docker.swarm.service.name={instance}_{service}"],
                         "status": "running"}, all_states=False)
    for cid in ids:
        with contextlib.suppress(NotFound):
            found.append(client().containers.get(cid))
    return found


def exec_in(instance: str, service: str, argv: list[str], user: str = "", timeout: float = 60) -> str:
    """Run a command in the service's (first) running container; raise on a non-zero exit."""
    found = task_containers(instance, service)
    if not found:
        raise TestbedError(f"no running container for {instance}_{service}")
    cid = found[0].id
    try:
        exec_id = client().api.exec_create(cid, argv, user=user, stdout=True, stderr=True)["Id"]
    except APIError as exc:  # listed running, stopped since (a scale-down or a restart in progress)
        raise TestbedError(f"cannot exec in {instance}_{service}: {exc.explanation or exc}") from None
    out = client(int(timeout)).api.exec_start(exec_id).decode(errors="replace")
    code = client().api.exec_inspect(exec_id)["ExitCode"]
    if code != 0:
        raise TestbedError(f"{' '.join(argv[:3])} in {service} exited {code}: {out.strip()[-300:]}")
    return out


def remove_labelled(instance: str, timeout: float = 90) -> dict[str, int]:
    """Remove the stack and every object carrying this instance's label; wait until gone."""
    counts = {"services": 0, "containers": 0, "networks": 0, "secrets": 0, "volumes": 0}
    cli = client()
    label = f"{LABEL}={instance}"
    # Counted before `stack rm`, which removes the stack's networks itself.
    counts["networks"] = len(cli.api.networks(filters={"label": label}))
    if services(instance):
        counts["services"] = len(services(instance))
        run([docker_cli(), "stack", "rm", instance], timeout=DEPLOY_TIMEOUT_S)
    for c in cli.api.containers(all=True, filters={"label": [label, "nestgate.testbed.extra"]}):
        with contextlib.suppress(NotFound):  # extras started through the engine API (fault containers)
            cli.api.remove_container(c["Id"], force=True)
            counts["containers"] += 1
    deadline = time.monotonic() + timeout
    with step(logger, f"waiting for the containers of stack {instance} to go"):
        while container_ids({"label": f"{NAMESPACE}={instance}"}):
            if time.monotonic() > deadline:
                raise TestbedError(f"containers of stack {instance} still present after {timeout:.0f} s")
            time.sleep(1)
    _remove_kind("networks", label, deadline)
    for kind in ("secrets", "volumes"):
        counts[kind] += _remove_kind(kind, label, deadline)
    return counts


def _remove_kind(kind: str, label: str, deadline: float) -> int:
    coll = getattr(client(), kind)
    removed = 0
    while True:
        left = coll.list(filters={"label": label})
        if not left:
            return removed
        for obj in left:
            try:
                obj.remove()
                removed += 1
            except NotFound:
                pass
            except APIError:
                if time.monotonic() > deadline:
                    raise TestbedError(f"cannot remove {kind[:-1]} {obj.name}: still in use") from None
        time.sleep(1)


def spec_digest(svc: Any) -> str:
    """A digest of the service spec as the engine holds it (changes with any update)."""
    return hashlib.sha256(json.dumps(svc.attrs["Spec"], sort_keys=True).encode()).hexdigest()[:16]


def rollback_missing(svc: Any) -> bool:
    """No PreviousSpec, or one that runs the current image (nothing to roll back to)."""
    previous = (svc.attrs.get("PreviousSpec") or {}).get("TaskTemplate", {}).get("ContainerSpec", {})
    current = svc.attrs["Spec"]["TaskTemplate"]["ContainerSpec"]
    return not previous or previous.get("Image") == current.get("Image")


def wait_gone(instance: str, service: str, timeout: float = 60) -> None:
    """Until the service and its containers are gone (after `service rm`)."""
    deadline = time.monotonic() + timeout
    with step(logger, f"waiting for {instance}_{service} to go"):
        while service in services(instance) or task_containers_all(instance, service):
            if time.monotonic() > deadline:
                raise TestbedError(f"{instance}_{service} still present after {timeout:.0f} s")
            time.sleep(1)


def task_containers_all(instance: str, service: str) -> list[str]:
    return container_ids({"label": [f"{NAMESPACE}={instance}", f"com.docker.swarm.service.name={instance}_{service}"]})
