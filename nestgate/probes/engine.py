"""Docker engine probe: swarm, nodes, containers, services, tasks, secrets, networks, logs.

Connects lazily, so a control that needs the engine (not the fixture) fails when it is down.
Facts that do not change during a run (container list and inspect) are fetched once.
"""

from __future__ import annotations

import os
import re
import ssl
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import docker
import docker.errors
import requests
from docker.constants import MINIMUM_DOCKER_API_VERSION

from nestgate.errors import EngineUnreachable, EvidenceUnavailable, one_line
from nestgate.probes import engine_ssh
from nestgate.probes.engine_endpoint import Endpoint, EndpointError, resolve
from nestgate.probes.engine_facts import (
    ContainerFacts,
    LogLine,
    NodeFacts,
    ServiceState,
    SwarmFacts,
    TaskFacts,
)
from nestgate.probes.readers.service_logs import service_log_lines
from nestgate.probes.readers.timestamps import epoch

if TYPE_CHECKING:
    from nestgate.config.target import Target

T = TypeVar("T")
# Inspect and stats calls are I/O bound on the daemon; this many run at once.
PARALLEL_CALLS = 32

_UNREACHABLE = (docker.errors.DockerException, requests.exceptions.RequestException, OSError)


class Engine:
    """One Docker engine, as seen from the host running nestgate."""

    def __init__(self, docker_host: str, timeout_s: float, stack: str, orchestrator: str) -> None:
        # Resolved as the Docker CLI resolves it (nestgate/probes/engine_endpoint.py); a bad value
        # fails the first call, so each control that needs the engine fails with the reason.
        self.endpoint: Endpoint | None = None
        self._endpoint_error = ""
        try:
            self.endpoint = resolve(docker_host, os.environ, Path.home())
        except EndpointError as exc:
            self._endpoint_error = str(exc)
        self.url = self.endpoint.url if self.endpoint else docker_host or "(no usable Docker endpoint)"
        self.timeout_s = timeout_s
        self.stack = stack
        self.orchestrator = orchestrator
        self._client: docker.APIClient | None = None
        self._lock = threading.Lock()
        self._containers: list[ContainerFacts] | None = None
        self.calls = 0  # API calls made, for benchmarks

    @classmethod
    def for_target(cls, target: Target) -> Engine:
        """The target's engine, with its call timeout: how every part of nestgate reaches it."""
        return cls(target.docker_host, target.call_timeout_s, target.stack, target.orchestrator)

    # -- plumbing ------------------------------------------------------------------------
    def _api(self) -> docker.APIClient:
        with self._lock:
            if self._client is None:
                if self.endpoint is None:
                    raise EngineUnreachable(f"Docker engine endpoint unusable: {self._endpoint_error}")
                try:
                    self._client = connect(self.endpoint, int(self.timeout_s) or 1)
                except _UNREACHABLE as exc:  # the reason first: a failure line is cut at 300 characters
                    raise EngineUnreachable(
                        f"Docker engine unreachable at {self.url}: {connect_reason(exc)} "
                        f"({self.endpoint.describe_source()})"
                    ) from None
            return self._client

    def call(self, what: str, fn: Callable[[docker.APIClient], T]) -> T:
        """Run one API call; transport failures become EngineUnreachable naming the daemon."""
        api = self._api()
        self.calls += 1
        try:
            return fn(api)
        except docker.errors.APIError:
            raise
        except _UNREACHABLE as exc:
            raise EngineUnreachable(
                f"Docker engine unreachable at {self.url} ({what}): {one_line(exc)}"
            ) from None

    # -- daemon and swarm ----------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        return self.call("info", lambda api: api.info())

    def version(self) -> dict[str, Any]:
        return self.call("version", lambda api: api.version())

    def swarm(self) -> SwarmFacts:
        sw = self.info().get("Swarm") or {}
        return SwarmFacts(
            local_node_state=str(sw.get("LocalNodeState") or "inactive"),
            node_id=str(sw.get("NodeID") or ""),
            control_available=bool(sw.get("ControlAvailable")),
            error=str(sw.get("Error") or ""),
            node_count=int(sw.get("Nodes") or 0),
            manager_count=int(sw.get("Managers") or 0),
        )

    def nodes(self) -> list[NodeFacts]:
        raw = self.call("node ls", lambda api: api.nodes())
        return [
            NodeFacts(
                id=n["ID"],
                hostname=n.get("Description", {}).get("Hostname", ""),
                state=n.get("Status", {}).get("State", "unknown"),
                availability=n.get("Spec", {}).get("Availability", ""),
                role=n.get("Spec", {}).get("Role", ""),
                manager_reachability=(n.get("ManagerStatus") or {}).get("Reachability", ""),
            )
            for n in raw
        ]

    # -- the stack's objects -------------------------------------------------------------
    def _stack_label(self) -> str:
        if self.orchestrator == "swarm":
            return f"com.docker.stack.namespace={self.stack}"
        return f"com.docker.compose.project={self.stack}"

    def _service_of(self, labels: dict[str, str]) -> str:
        if self.orchestrator == "swarm":
            full = labels.get("com.docker.swarm.service.name", "")
            prefix = f"{self.stack}_"
            return full[len(prefix):] if full.startswith(prefix) else full
        return labels.get("com.docker.compose.service", "")

    def containers(self) -> list[ContainerFacts]:
        """Every container of the stack (running or not), inspected once per run."""
        if self._containers is None:
            listed = self.call(
                "container ls",
                lambda api: api.containers(all=True, filters={"label": self._stack_label()}),
            )
            ids = [c["Id"] for c in listed]
            with ThreadPoolExecutor(max_workers=min(PARALLEL_CALLS, max(1, len(ids)))) as pool:
                inspected = list(pool.map(self._inspect, ids))
            self._containers = sorted(
                (c for c in inspected if c is not None), key=lambda c: (c.service, c.name)
            )
        return self._containers

    def _inspect(self, container_id: str) -> ContainerFacts | None:
        try:
            raw = self.call("container inspect", lambda api: api.inspect_container(container_id))
        except docker.errors.NotFound:
            return None  # removed between list and inspect: it is not part of the stack now
        state = raw.get("State", {})
        labels = raw.get("Config", {}).get("Labels") or {}
        return ContainerFacts(
            id=raw["Id"],
            name=raw.get("Name", "").lstrip("/"),
            service=self._service_of(labels),
            image=raw.get("Config", {}).get("Image", ""),
            status=state.get("Status", ""),
            health=(state.get("Health") or {}).get("Status", ""),
            pid=int(state.get("Pid") or 0),
            started_at=state.get("StartedAt", ""),
            inspect=raw,
        )

    def containers_now(self) -> list[ContainerFacts]:
        """Every container of the stack as listed right now: one API call, never cached (watch
        samples). No inspect: `inspect` is empty and health comes from the list's status text."""
        listed = self.call(
            "container ls",
            lambda api: api.containers(all=True, filters={"label": self._stack_label()}),
        )
        return sorted((container_from_list(c, self._service_of(c.get("Labels") or {})) for c in listed),
                      key=lambda c: (c.service, c.name))

    def running(self) -> list[ContainerFacts]:
        return [c for c in self.containers() if c.status == "running"]

    def services(self) -> list[dict[str, Any]]:
        return self.call(
            "service ls",
            lambda api: api.services(filters={"label": f"com.docker.stack.namespace={self.stack}"}),
        )

    def tasks(self) -> list[dict[str, Any]]:
        return self.call(
            "task ls",
            lambda api: api.tasks(filters={"label": f"com.docker.stack.namespace={self.stack}"}),
        )

    def secrets(self) -> list[dict[str, Any]]:
        return self.call("secret ls", lambda api: api.secrets())

    def networks(self) -> list[dict[str, Any]]:
        return self.call(
            "network ls",
            lambda api: api.networks(filters={"label": f"{self._stack_label()}"}),
        )

    # -- services with status, tasks, images, logs (infra gate) ---------------------------
    def service_states(self) -> list[ServiceState]:
        """The stack's swarm services with the engine's running/desired counts and their tasks."""
        label = f"com.docker.stack.namespace={self.stack}"
        raw = self.call("service ls", lambda api: api.services(filters={"label": label}, status=True))
        tasks: dict[str, list[TaskFacts]] = {}
        for t in self.tasks():
            tasks.setdefault(str(t.get("ServiceID", "")), []).append(task_from_raw(t))
        return sorted((service_from_raw(s, self.stack, tasks.get(s["ID"], [])) for s in raw),
                      key=lambda s: s.name)

    # -- what a deploy would use, by identity (the deploy manifest) --------------------------
    def image_id(self, reference: str) -> str | None:
        """The image ID a tag resolves to on this engine now; None when the engine has no such image."""
        try:
            return str(self.call("image inspect", lambda api: api.inspect_image(reference)).get("Id") or "") or None
        except docker.errors.NotFound:
            return None

    def secret_created(self, name: str) -> str | None:
        """When the secret of exactly this name was created; None when there is none."""
        found = self.call("secret ls", lambda api: api.secrets(filters={"name": name}))
        return next((str(s.get("CreatedAt", "")) for s in found if (s.get("Spec") or {}).get("Name") == name), None)

    def network_created(self, name: str) -> str | None:
        """When the network of this name was created; None when there is none (yet)."""
        try:
            return str(self.call("network inspect", lambda api: api.inspect_network(name)).get("Created", ""))
        except docker.errors.NotFound:
            return None

    def container_image_id(self, container_id: str) -> str | None:
        """The image ID a container of this engine runs; None when the engine has no such container."""
        try:
            return str(self.call("container inspect", lambda api: api.inspect_container(container_id)).get("Image", ""))
        except docker.errors.NotFound:
            return None

    def image_exists(self, reference: str) -> bool:
        try:
            self.call("image inspect", lambda api: api.inspect_image(reference))
        except docker.errors.NotFound:
            return False
        return True

    def logs(self, container: ContainerFacts, since: float) -> list[LogLine]:
        """The container's stdout and stderr lines since an epoch time, daemon timestamps on."""
        try:
            raw = self.call("logs", lambda api: api.logs(container.id, stdout=True, stderr=True,
                                                          timestamps=True, since=since))
        except docker.errors.NotFound:
            return []  # removed since it was listed: its logs went with it
        except docker.errors.APIError as exc:
            raise EvidenceUnavailable(f"logs of container {container.name}: {one_line(exc)}") from None
        return log_lines_from_raw(raw, container)

    def node_names(self) -> dict[str, str]:
        """Swarm node ID -> hostname (GET /nodes, a manager's view)."""
        return {n.id: n.hostname for n in self.nodes()}

    def service_logs(self, service: ServiceState, since: float, nodes: Mapping[str, str]) -> list[LogLine]:
        """Every task's stdout and stderr lines of a swarm service since an epoch time, through the
        manager (`docker service logs <task>`: the tasks on every node), each with its task and node.

        One task at a time (all in parallel), every task that had a container, running or not: on
        this engine (API 1.41) the service-wide read can stall for good while each task's own read
        answers at once. Each read is one bounded answer, not the SDK's stream (the SDK turns the
        socket timeout off for streams): silence past the call timeout fails the control."""
        tasks = [t for t in service.tasks if t.container_id]
        if not tasks:
            return []
        with ThreadPoolExecutor(max_workers=min(PARALLEL_CALLS, len(tasks))) as pool:
            raws = list(pool.map(lambda t: self._task_logs(service, t.id, since), tasks))
        by_id = {t.id: t for t in service.tasks}
        lines = [line for raw in raws
                 for line in service_log_lines(raw, service.name, self._full_name(service.name), by_id, nodes)]
        return sorted(lines, key=lambda line: line.timestamp)  # stable: a task's continuation lines stay put

    def _task_logs(self, service: ServiceState, task_id: str, since: float) -> bytes:
        params = {"details": True, "follow": False, "stdout": True, "stderr": True, "timestamps": True,
                  "since": f"{since:.6f}", "tail": "all"}

        def read(api: docker.APIClient) -> bytes:  # GET /tasks/{id}/logs: the docker SDK has no method for it
            try:
                res = api._get(api._url("/tasks/{0}/logs", task_id), params=params, stream=False)
                api._raise_for_status(res)
                return api._get_result_tty(False, res, service.tty)
            except requests.exceptions.RequestException as exc:
                raise EvidenceUnavailable(f"logs of task {task_id[:12]} of service {service.name} through the "
                                          f"manager at {self.url}: {one_line(exc)}") from None
        try:
            return self.call("task logs", read)
        except docker.errors.NotFound:
            return b""  # removed since it was listed: its logs went with it
        except docker.errors.APIError as exc:
            raise EvidenceUnavailable(f"logs of task {task_id[:12]} of service {service.name}: "
                                      f"{one_line(exc)}") from None

    def _full_name(self, service: str) -> str:
        return f"{self.stack}_{service}"


def connect(endpoint: Endpoint, timeout_s: int) -> docker.APIClient:
    """An API client for the endpoint, on the engine's own API version (the SDK's "auto").

    With an engine CA, requests would let REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE replace it (psf/requests
    issue 3829): the Docker CLI trusts only the engine's CA, so the environment is not consulted for
    certificates; proxies still come from it.

    An ssh:// engine is checked with the ssh binary first (nestgate/probes/engine_ssh.py): the SDK's own
    ssh run neither says ssh's reason nor stops waiting."""
    if endpoint.url.startswith("ssh://"):
        engine_ssh.check(endpoint.url, timeout_s)
    api = docker.APIClient(**endpoint.client_kwargs(), timeout=timeout_s, version=MINIMUM_DOCKER_API_VERSION)
    if endpoint.tls is not None and endpoint.tls.ca is not None:
        api.trust_env = False
        api.proxies = requests.utils.get_environ_proxies(api.base_url)
    api._version = api._retrieve_server_version()  # what version="auto" does, after the session is set up
    return api


def connect_reason(exc: BaseException) -> str:
    """Why connecting failed, in one line: a TLS refusal by its own words (requests buries it three
    exceptions deep, after the URL), an ssh refusal as ssh said it (engine_ssh), anything else as the
    SDK says it."""
    todo: list[object] = [exc]
    seen: set[int] = set()
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLError):
            return f"TLS handshake failed: {one_line(e)}"
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
    return one_line(exc)


_LIST_HEALTH = re.compile(r"\((healthy|unhealthy|health: starting)\)")


def container_from_list(raw: dict[str, Any], service: str) -> ContainerFacts:
    """A container from `GET /containers/json`: its status text ends in "(healthy)" and the like."""
    m = _LIST_HEALTH.search(str(raw.get("Status", "")))
    health = "" if m is None else "starting" if m.group(1).startswith("health:") else m.group(1)
    names = raw.get("Names") or [""]
    return ContainerFacts(id=str(raw.get("Id", "")), name=str(names[0]).lstrip("/"), service=service,
                          image=str(raw.get("Image", "")), status=str(raw.get("State", "")), health=health,
                          pid=0, started_at="", inspect={})


def task_from_raw(raw: dict[str, Any]) -> TaskFacts:
    status = raw.get("Status") or {}
    cstatus = status.get("ContainerStatus") or {}
    exit_code = cstatus.get("ExitCode")
    return TaskFacts(
        id=str(raw.get("ID", "")),
        slot=raw.get("Slot"),
        node_id=str(raw.get("NodeID", "")),
        desired_state=str(raw.get("DesiredState", "")),
        state=str(status.get("State", "")),
        message=str(status.get("Message", "")),
        error=str(status.get("Err", "")),
        timestamp=epoch(status.get("Timestamp")),
        container_id=str(cstatus.get("ContainerID", "")),
        exit_code=int(exit_code) if exit_code is not None else None,
    )


def _image_of(spec: dict[str, Any]) -> str:
    return str(((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image", ""))


def service_from_raw(raw: dict[str, Any], stack: str, tasks: list[TaskFacts]) -> ServiceState:
    spec = raw.get("Spec") or {}
    full = str(spec.get("Name", ""))
    status = raw.get("ServiceStatus") or {}
    mode = next(iter(spec.get("Mode") or {"unknown": None})).lower()
    container_spec = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
    check = container_spec.get("Healthcheck") or {}
    return ServiceState(
        id=str(raw.get("ID", "")),
        name=full.removeprefix(f"{stack}_"),
        mode=mode,
        desired_tasks=int(status.get("DesiredTasks") or 0),
        running_tasks=int(status.get("RunningTasks") or 0),
        image=_image_of(spec),
        previous_image=_image_of(raw.get("PreviousSpec") or {}),
        has_healthcheck=bool(check.get("Test")) and check.get("Test") != ["NONE"],
        tasks=sorted(tasks, key=lambda t: (t.slot or 0, -(t.timestamp or 0))),
        env=[str(e) for e in container_spec.get("Env") or []],
        tty=bool(container_spec.get("TTY")),
    )


def log_lines_from_raw(raw: bytes | str, container: ContainerFacts) -> list[LogLine]:
    """`<RFC 3339 timestamp> <text>` lines as the logs API returns them with timestamps on."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    out = []
    for line in text.splitlines():
        stamp, _, rest = line.partition(" ")
        when = epoch(stamp)
        if when is None:  # a continuation without a stamp belongs to no minute: keep it with the last
            if out:
                out.append(LogLine(container.name, container.service, out[-1].timestamp, line))
            continue
        out.append(LogLine(container.name, container.service, when, rest))
    return out
