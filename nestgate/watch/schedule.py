"""When the watch's controls rounds are due, from the schedule's phases (nestgate.config.schedule)."""

from __future__ import annotations

from nestgate.config.schedule import Phase


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
