"""The watch schedule: "5m:2h,15m:22h" = every 5 minutes for 2 hours, then every 15 for 22 (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(text: str) -> float:
    """'90s', '5m', '2h', '1d' -> seconds. ValueError names the text."""
    m = _DURATION.match(text)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{text.strip()!r} is not a duration (a positive number with s, m, h or d)")
    return float(m.group(1)) * UNITS[m.group(2)]


@dataclass(frozen=True)
class Phase:
    every_s: float
    for_s: float


def parse_schedule(text: str) -> list[Phase]:
    """'5m:2h,15m:22h' -> phases. Each part is INTERVAL:DURATION; ValueError names the bad part."""
    phases = []
    for part in text.split(","):
        every, sep, span = part.partition(":")
        if not sep:
            raise ValueError(f"schedule part {part.strip()!r} is not INTERVAL:DURATION (e.g. 5m:2h)")
        phase = Phase(parse_duration(every), parse_duration(span))
        if phase.every_s > phase.for_s:
            raise ValueError(f"schedule part {part.strip()!r}: the interval is longer than the duration")
        phases.append(phase)
    return phases


def due_times(phases: list[Phase], start: float) -> list[float]:
    """Every time a round is due, from the watch start to the schedule's end."""
    times: list[float] = []
    offset = 0.0
    for phase in phases:
        n = int(phase.for_s // phase.every_s)
        times.extend(start + offset + i * phase.every_s for i in range(n))
        offset += phase.for_s
    return times


def next_due(phases: list[Phase], start: float, now: float, last_round: float | None) -> float | None:
    """When the next round is due: the earliest due time after the last round (a restarted watcher
    does not replay missed rounds; a round missed while it was down runs at once). With no round
    left, the schedule's end: the watch keeps sampling until then. None: the schedule is over."""
    end = start + sum(p.for_s for p in phases)
    if now >= end:
        return None
    pending = [t for t in due_times(phases, start) if last_round is None or t > last_round]
    return max(min(pending), now) if pending else end
