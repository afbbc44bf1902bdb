"""BLD-05 rules: which healthcheck a service declares (compose file, else the Dockerfile that builds
it, else its image), whether it can show the container healthy within the limit, and whether each
running container became healthy within it by the engine's clocks.

"Within 30 seconds" includes 30 s, at every boundary: a first probe due exactly at the limit
(interval == limit) passes, and so does a container healthy exactly at the limit."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.health_log import DeclaredCheck, HealthTiming
from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.health import HealthState

COMPOSE_FILE = "compose file"


def needs_image_check(compose: DeclaredCheck | None) -> bool:
    """The compose file leaves the test to the image: no `healthcheck:` at all, or timings only."""
    return compose is None or (not compose.test and not compose.disabled)


def effective_check(compose: DeclaredCheck | None, source: str,
                    from_image: DeclaredCheck | None) -> tuple[DeclaredCheck | None, str]:
    """The healthcheck the engine will run, and where it comes from: the compose file's own; else
    the HEALTHCHECK of `source` (the Dockerfile that builds the image, or the image itself); else
    the compose file's timings with that source's test."""
    if not needs_image_check(compose):
        return compose, COMPOSE_FILE
    if compose is None:
        return from_image, source
    return (DeclaredCheck(from_image.test if from_image else [], compose.interval_s,
                          bool(from_image and from_image.disabled)),
            f"compose timings, test from {source}")


def absent_image(service: str, image: str) -> str:
    """Why a pulled service cannot be judged on this engine, and what to do about it."""
    if not image:
        return (f"service {service} declares no healthcheck, no image and no build: declare a healthcheck "
                "in the compose file")
    return (f"service {service} declares no healthcheck in the compose file and its image {image} is not on "
            f"this engine to read a HEALTHCHECK from: `docker pull {image}` (or build it) on this engine, or "
            "declare the healthcheck in the compose file")


def declared_findings(service: str, check: DeclaredCheck | None, origin: str, limit_s: float) -> list[Finding]:
    """A healthcheck that cannot show the container healthy within the limit: disabled, absent, or
    whose first probe comes too late (the engine runs it one interval after the start)."""
    subject = f"service {service}"
    if check is not None and check.disabled:
        return [Finding(subject, "healthcheck", "disabled", "declared and enabled",
                        says=f"has its healthcheck disabled ({origin})")]
    if check is None or not check.test:
        return [Finding(subject, "healthcheck", None, "declared and enabled",
                        says=f"declares no healthcheck ({origin})")]
    if check.interval_s > limit_s:
        return [Finding(subject, "interval_s", check.interval_s, f"<= {limit_s:g}",
                        says=f"healthcheck interval is {check.interval_s:g} s: its first probe runs "
                             f"{check.interval_s:g} s after the start, not within the {limit_s:g} s limit "
                             f"({origin})")]
    return []


def timing_findings(service: str, state: HealthState, timing: HealthTiming | None, limit_s: float,
                    now: dt.datetime) -> list[Finding]:
    """One container's health by the engine's clocks: no healthcheck, gone, still starting (as of
    `now`), unhealthy with no healthy moment on record, or healthy later than the limit after its
    start. Raises EvidenceUnavailable when it is healthy but the engine no longer records when it
    became so."""
    subject, name = f"service {service}", f"container {state.container}"
    within = f"healthy within {limit_s:g} s"
    if state.status == "":
        return [Finding(subject, f"{name} State.Health", None, "a healthcheck",
                        says=f"{name} has no healthcheck (State.Health absent)")]
    if state.status == "gone":
        return [Finding(subject, f"{name} state", "gone", "running",
                        says=f"{name} disappeared while being checked")]
    if state.status == "starting":
        since = f"{(now - state.started).total_seconds():.1f} s" if state.started else "?"
        return [Finding(subject, f"{name} health", "starting", within,
                        says=f"{name} is still starting {since} after its start, not healthy within {limit_s:g} s")]
    if timing is None and state.status == "unhealthy":
        return [Finding(subject, f"{name} health", "unhealthy", within,
                        says=f"{name} is unhealthy and the engine holds no record of it becoming healthy")]
    if timing is None:
        raise EvidenceUnavailable(f"{name}: the engine no longer records when it became healthy (health log "
                                  "rotated, no swarm task, start event out of the daemon's event buffer)")
    if timing.seconds > limit_s:
        return [Finding(subject, f"{name} healthy_after_s", round(timing.seconds, 2), f"<= {limit_s:g}",
                        says=f"{name} became healthy {timing.seconds:.1f} s after its start "
                             f"(limit {limit_s:g} s; from {timing.source})")]
    return []


def timings(raw: dict) -> dict[str, float | int]:
    """A HEALTHCHECK's options in seconds, for the evidence (engine shape: durations in ns)."""
    named = {"Interval": "interval_s", "Timeout": "timeout_s", "StartPeriod": "start_period_s",
             "StartInterval": "start_interval_s"}
    shown: dict[str, float | int] = {out: int(raw[key]) / 1e9 for key, out in named.items() if raw.get(key)}
    if raw.get("Retries"):
        shown["retries"] = int(raw["Retries"])
    return shown
