"""Health facts of one container from the engine: its state now, its swarm task, its events."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

import docker.errors

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts
from nestgate.probes.readers.health_log import (
    EngineEvent,
    HealthTiming,
    ProbeEntry,
    TaskStatus,
    from_events,
    from_health_log,
    from_task,
)
from nestgate.probes.readers.timestamps import parse_time

TASK_LABEL = "com.docker.swarm.task.id"


@dataclass(frozen=True)
class HealthState:
    id: str
    container: str
    status: str  # "healthy", "unhealthy", "starting", "" (no healthcheck), "gone"
    running: bool
    started: dt.datetime | None
    log: list[ProbeEntry] = field(default_factory=list)
    task_id: str = ""


def health_state(raw: dict) -> HealthState:
    """From a `docker inspect` document."""
    state = raw.get("State") or {}
    health = state.get("Health") or {}
    log = [ProbeEntry(s, e, int(entry.get("ExitCode", -1)))
           for entry in health.get("Log") or []
           if (s := parse_time(entry.get("Start", ""))) and (e := parse_time(entry.get("End", "")))]
    labels = (raw.get("Config") or {}).get("Labels") or {}
    return HealthState(str(raw.get("Id", "")), raw.get("Name", "").lstrip("/"), str(health.get("Status") or ""),
                       bool(state.get("Running")), parse_time(state.get("StartedAt", "")), log,
                       labels.get(TASK_LABEL, ""))


def current(engine: Engine, container: ContainerFacts) -> HealthState:
    """The container's health now (a fresh inspect, not the run's cached one)."""
    try:
        raw = engine.call("container inspect", lambda api: api.inspect_container(container.id))
    except docker.errors.NotFound:
        return HealthState(container.id, container.name, "gone", False, None)
    return health_state(raw)


def task_status(engine: Engine, task_id: str) -> TaskStatus | None:
    if not task_id:
        return None
    try:
        raw = engine.call("task inspect", lambda api: api.inspect_task(task_id))
    except docker.errors.NotFound:
        return None
    except docker.errors.APIError as exc:
        raise EvidenceUnavailable(f"task {task_id} cannot be inspected: {exc.explanation}") from None
    status = raw.get("Status") or {}
    return TaskStatus(str(status.get("State") or ""), parse_time(str(status.get("Timestamp") or "")))


def events(engine: Engine, container_id: str, since: dt.datetime) -> list[EngineEvent]:
    """The daemon's buffered start and health events of one container since `since`, up to now."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    filters = {"container": [container_id], "event": ["start", "health_status"]}

    def fetch(api: object) -> list[EngineEvent]:
        out = []
        stream = api.events(since=since.timestamp() - 1, until=until.timestamp(), filters=filters,  # type: ignore[attr-defined]
                            decode=True)
        for ev in stream:
            nanos = int(ev.get("timeNano") or int(ev.get("time", 0)) * 10**9)
            out.append(EngineEvent(str(ev.get("Action") or ev.get("status") or ""),
                                   dt.datetime.fromtimestamp(nanos / 1e9, dt.UTC)))
        return out

    return engine.call("events", fetch)


def wait_while_starting(engine: Engine, container: ContainerFacts, until: dt.datetime,
                        poll_s: float = 0.5) -> HealthState:
    """Poll a `starting` container until it settles or `until` (engine clock) has passed."""
    while True:
        state = current(engine, container)
        if state.status != "starting" or dt.datetime.now(dt.UTC) >= until:
            return state
        time.sleep(poll_s)


def healthy_after(engine: Engine, state: HealthState) -> HealthTiming | None:
    """Seconds from the container's start to its first healthy report, from the first conclusive
    source: the health log, the swarm task, the engine's events (see nestgate.probes.readers.health_log)."""
    if state.started is None:
        return None
    return (from_health_log(state.started, state.log)
            or from_task(state.started, task_status(engine, state.task_id))
            or from_events(state.started, events(engine, state.id, state.started)))


def image_healthcheck(engine: Engine, ref: str) -> dict[str, Any] | None:
    """The HEALTHCHECK an image carries ({} when none; Test, Interval in ns, ...); None when the
    image is not on this engine."""
    try:
        image = engine.call(f"image inspect {ref}", lambda api: api.inspect_image(ref))
    except docker.errors.NotFound:
        return None
    except docker.errors.APIError as exc:
        raise EvidenceUnavailable(f"image {ref} cannot be inspected: {exc.explanation}") from None
    return dict((image.get("Config") or {}).get("Healthcheck") or {})
