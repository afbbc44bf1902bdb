"""The procedure's Status Update Template, filled from the watch history (pure: reads the History).

    Status         OUTAGE: every watch endpoint failed in the latest sample, or a Level 3 event is open;
                   DEGRADED: some endpoint failed, some service is down, or a Level 1/2 event is open;
                   else OPERATIONAL
    Impact         the failing endpoints and the services down, from the latest sample
    Duration       since the incident's first trigger (the first event after the last all-clear sample)
    Actions Taken  the incident's events and what their actions did
    ETA            only what the operator gives (--eta): nestgate does not guess a resolution time
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from nestgate.watch.history import Event, History, Sample

OPERATIONAL, DEGRADED, OUTAGE = "OPERATIONAL", "DEGRADED", "OUTAGE"


@dataclass
class StatusUpdate:
    status: str
    severity: str  # the subject line's [SEVERITY]: the highest open escalation level, or "none"
    impact: list[str]
    sampled_at: float | None
    incident_start: float | None  # the incident's first trigger (or first bad sample with no trigger yet)
    first_trigger: str | None
    actions: list[str] = field(default_factory=list)
    eta: str = "unknown"
    next_update: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"duration_s": self.duration_s}

    @property
    def duration_s(self) -> float | None:
        if self.incident_start is None or self.sampled_at is None:
            return None
        return round(self.sampled_at - self.incident_start, 1)


def _latest(samples: list[Sample]) -> dict[tuple[str, str], Sample]:
    latest: dict[tuple[str, str], Sample] = {}
    for s in samples:  # oldest first: the last one wins
        latest[(s.signal, s.subject)] = s
    return latest


def _bad(sample: Sample) -> bool:
    return sample.signal in ("http.ok", "service.up") and sample.value < 1.0


def _action_line(event: Event, action: dict[str, Any]) -> str:
    name = action.get("action", "?")
    if action.get("ran") is False:
        return f"{name} for {event.trigger} {event.subject}: not run ({action.get('reason', '')})"
    how = "done" if action.get("ok") else f"FAILED ({action.get('message') or action.get('error') or 'see history'})"
    took = f", {action['duration_s']:g} s" if isinstance(action.get("duration_s"), (int, float)) else ""
    return f"{name} for {event.trigger} {event.subject}: {how}{took}"


def build(history: History, eta: str = "unknown", next_update_s: float = 1800.0) -> StatusUpdate:
    samples = history.samples()
    if not samples:
        return StatusUpdate(OUTAGE, "unknown", ["no sample in the watch history: the state is not known"],
                            None, None, None, eta=eta)
    now = samples[-1].ts
    latest = _latest(samples)
    endpoints = [s for (sig, _), s in latest.items() if sig == "http.ok"]
    failing = sorted(s.subject for s in endpoints if s.value < 1.0)
    down = sorted(s.subject for (sig, _), s in latest.items() if sig == "service.up" and s.value < 1.0)
    # The last sample time at which every endpoint answered and every service was up.
    by_ts: dict[float, bool] = {}
    for s in samples:
        by_ts[s.ts] = by_ts.get(s.ts, False) or _bad(s)
    clear = max((ts for ts, bad in by_ts.items() if not bad), default=0.0)
    incident = [e for e in history.events() if e.ts > clear]
    level = max((e.level for e in incident), default=0)
    if (endpoints and len(failing) == len(endpoints)) or level == 3:
        status = OUTAGE
    elif failing or down or incident:
        status = DEGRADED
    else:
        status = OPERATIONAL
    impact = [f"endpoint {e} not answering" for e in failing] + [f"service {s} down" for s in down]
    impact += [f"level {e.level} {e.trigger} on {e.subject}" for e in incident if e.level > 1 or not (failing or down)]
    start = incident[0].ts if incident else min((ts for ts, bad in by_ts.items() if bad and ts > clear), default=None)
    if status == OPERATIONAL:
        start = None
    return StatusUpdate(
        status, f"level {level}" if level else "none", impact or ["none: every endpoint answers, every service up"],
        now, start, f"{incident[0].trigger} {incident[0].subject}" if incident else None,
        [_action_line(e, a) for e in incident for a in e.actions], eta, now + next_update_s)


def _time(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "-"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"


def render_text(update: StatusUpdate, target: str) -> str:
    """The template, filled in, as the procedure writes it."""
    since = f" (since {_time(update.incident_start)}, first trigger: {update.first_trigger or 'none yet'})"
    lines = [f"Subject: {target} Production Status - {update.severity.upper()}", "",
             f"Status: {update.status}", f"Impact: {'; '.join(update.impact)}",
             f"Duration: {_duration(update.duration_s)}{since if update.incident_start else ''}",
             f"ETA: {update.eta}", "", "Actions Taken:"]
    lines += [f"- {a}" for a in update.actions] or ["- none recorded"]
    lines += ["", f"Next Update: {_time(update.next_update)}", f"(from the watch history as of "
              f"{_time(update.sampled_at)})"]
    return "\n".join(lines)
