"""When did a container first become healthy, by the engine's own clocks?

Three sources, each used only when it is conclusive:
- the health log (State.Health.Log): the engine keeps the last 5 probes only, so it proves the
  first healthy probe only while it has not rotated;
- the swarm task: a task whose container has a healthcheck stays `starting` until the engine
  reports it healthy, then turns `running`; its status timestamp is that moment, for the task's life;
- engine events: `health_status: healthy` after the container's `start`, while the daemon's event
  buffer still holds that `start`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

# The engine's State.Health.Log keeps this many entries (moby daemon/health.go maxLogEntries).
HEALTH_LOG_MAX = 5
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_S = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def go_duration_s(text: str) -> float:
    """Seconds of a Go duration string as Compose prints it ("3s", "1m30s", "500ms")."""
    text = text.strip()
    if text in ("0", ""):
        return 0.0
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * _UNIT_S[u] for n, u in parts)


@dataclass(frozen=True)
class ProbeEntry:
    start: dt.datetime
    end: dt.datetime
    exit_code: int


@dataclass(frozen=True)
class EngineEvent:
    action: str  # "start", "health_status: healthy", ...
    time: dt.datetime


@dataclass(frozen=True)
class TaskStatus:
    state: str  # "starting", "running", ...
    timestamp: dt.datetime | None


@dataclass(frozen=True)
class HealthTiming:
    seconds: float
    source: str


def from_health_log(started: dt.datetime, log: Sequence[ProbeEntry]) -> HealthTiming | None:
    entries = [e for e in log if e.start >= started]
    if len(log) >= HEALTH_LOG_MAX or len(entries) != len(log):
        return None  # rotated (or holds probes of an earlier start): the first one may be gone
    for entry in sorted(entries, key=lambda e: e.start):
        if entry.exit_code == 0:
            return HealthTiming((entry.end - started).total_seconds(), "health log (first passing probe)")
    return None


def from_task(started: dt.datetime, task: TaskStatus | None) -> HealthTiming | None:
    if task is None or task.state != "running" or task.timestamp is None or task.timestamp < started:
        return None
    return HealthTiming((task.timestamp - started).total_seconds(), "swarm task: starting -> running")


def from_events(started: dt.datetime, events: Sequence[EngineEvent]) -> HealthTiming | None:
    tolerance = dt.timedelta(seconds=1)
    starts = [e for e in events if e.action == "start" and abs(e.time - started) <= tolerance]
    if not starts:
        return None  # the daemon's buffer no longer reaches back to this start
    healthy = sorted(e.time for e in events if e.action == "health_status: healthy" and e.time >= starts[0].time)
    if not healthy:
        return None
    return HealthTiming((healthy[0] - started).total_seconds(), "engine events: health_status: healthy")


# Docker's default probe interval when neither the compose file nor the image sets one.
DEFAULT_INTERVAL_S = 30.0


@dataclass(frozen=True)
class DeclaredCheck:
    test: list[str]  # [] when the compose file leaves the test to the image
    interval_s: float
    disabled: bool = False


def compose_check(spec: dict | None) -> DeclaredCheck | None:
    """A service's resolved `healthcheck:`; None when it declares none."""
    if spec is None:
        return None
    test = [str(t) for t in spec.get("test") or []]
    disabled = bool(spec.get("disable")) or test[:1] == ["NONE"]
    interval = go_duration_s(str(spec["interval"])) if spec.get("interval") else DEFAULT_INTERVAL_S
    return DeclaredCheck(test, interval, disabled)


def image_check(config: dict) -> DeclaredCheck | None:
    """An image's Config.Healthcheck (durations in nanoseconds); None when it has none."""
    test = [str(t) for t in config.get("Test") or []]
    if not test:
        return None
    interval = int(config.get("Interval") or 0) / 1e9 or DEFAULT_INTERVAL_S
    return DeclaredCheck(test, interval, test[:1] == ["NONE"])
