"""Level 3 (Emergency Response) triggers over the watch history (pure: reads the History only).

    complete-unavailability   every watch endpoint failing (http.ok = 0) for unavailable_s (the stack)
    system-wide-failure       a Level 1 trigger active on at least system_wide_fraction of the services
    security-breach-confirmed a monitor alert about a service, confirmed by an auth-failures or
                              error-rate event of that service within breach_window_s (subject: it)
    data-integrity            a controls round in which an integrity control failed (subject: the control)

The first two are judged from samples like Levels 1 and 2 (a new incident needs the condition to
have cleared); the last two from recorded events and round results, each fired once per cause.
"""

from __future__ import annotations

import math

from nestgate.config.watch import Triggers
from nestgate.watch.history import Event, History
from nestgate.watch.triggers import (
    AUTH_FAILURES,
    ERROR_RATE,
    SECURITY_ALERT,
    STACK_SUBJECT,
    Firing,
    Series,
    level1_states,
    watch_start,
)

COMPLETE_UNAVAILABILITY = "complete-unavailability"
SYSTEM_WIDE_FAILURE = "system-wide-failure"
SECURITY_BREACH = "security-breach-confirmed"
DATA_INTEGRITY = "data-integrity"
LEVEL3 = (COMPLETE_UNAVAILABILITY, SYSTEM_WIDE_FAILURE, SECURITY_BREACH, DATA_INTEGRITY)
CONFIRMING = (AUTH_FAILURES, ERROR_RATE)


def unavailable(series: Series, t: Triggers, at: float) -> tuple[bool, dict, float | None]:
    """(active, detail, since): every endpoint's current run of failed answers and how long all failed."""
    endpoints = series.subjects("http.ok")
    starts: dict[str, float] = {}
    for endpoint in endpoints:
        since, _ = series.run_start("http.ok", endpoint, at, "down", lambda v: v < 1.0)
        if since is None:
            return False, {"measured": 0.0, "failing": sorted(starts)}, None
        starts[endpoint] = since
    if not starts:
        return False, {"measured": None, "reason": "no endpoint sampled"}, None
    since = max(starts.values())  # from then on every endpoint failed
    held = at - since
    return held >= t.unavailable_s, {
        "measured": round(held, 1), "threshold": t.unavailable_s, "window_s": t.unavailable_s,
        "unit": "s with every endpoint failing", "endpoints": sorted(starts), "since": since}, since


def system_wide(series: Series, t: Triggers, at: float) -> tuple[bool, dict]:
    services = series.subjects("service.up")
    affected: dict[str, list[str]] = {}
    for s in level1_states(series, t, at):
        if s.active and s.trigger != SECURITY_ALERT and s.subject in services:
            affected.setdefault(s.subject, []).append(s.trigger)
    # at least Level 2's multiple-services count too: one service of a one-service history is not system-wide
    need = max(t.multiple_services, math.ceil(t.system_wide_fraction * len(services)))
    return bool(services) and len(affected) >= need, {
        "measured": len(affected), "threshold": need, "services_total": len(services), "window_s": 0.0,
        "unit": "services with a Level 1 trigger", "services": {k: sorted(v) for k, v in sorted(affected.items())}}


def _cleared_since(series: Series, last: float, now: float, active_at) -> bool:
    """Did the condition not hold at some sample time after the last firing? (a new incident)"""
    return any(not active_at(at) for at in series.times if last < at < now)


def _sampled(history: History, t: Triggers, now: float, last: dict[tuple[str, str], float]) -> list[Firing]:
    # Back far enough for the windows, and to the last firings: whether a condition cleared since
    # then (a new incident) needs the samples in between.
    start = now - 4 * max(t.unavailable_s, t.service_down_s, t.memory_for_s, t.errors_window_s) - 60.0
    for trigger in (COMPLETE_UNAVAILABILITY, SYSTEM_WIDE_FAILURE):
        if (trigger, STACK_SUBJECT) in last:
            start = min(start, last[(trigger, STACK_SUBJECT)] - 1.0)
    start = max(start, 0.0)
    series = Series(history.samples(since=start, until=now), start)
    out = []
    active, detail, since = unavailable(series, t, now)
    prev = last.get((COMPLETE_UNAVAILABILITY, STACK_SUBJECT))
    if active and (prev is None or (since is not None and since > prev)):
        out.append(Firing(3, COMPLETE_UNAVAILABILITY, STACK_SUBJECT, detail))
    active, detail = system_wide(series, t, now)
    prev = last.get((SYSTEM_WIDE_FAILURE, STACK_SUBJECT))
    if active and (prev is None or _cleared_since(series, prev, now, lambda at: system_wide(series, t, at)[0])):
        out.append(Firing(3, SYSTEM_WIDE_FAILURE, STACK_SUBJECT, detail))
    return out


def _breaches(events: list[Event], t: Triggers) -> list[Firing]:
    judged = {e.detail.get("alert_event") for e in events if e.trigger == SECURITY_BREACH}
    out = []
    for alert in (e for e in events if e.trigger == SECURITY_ALERT and e.id not in judged):
        sources = {str(a.get("source")) for a in alert.detail.get("alerts", []) if a.get("source")}
        confirms = [e for e in events if e.trigger in CONFIRMING and e.subject in sources
                    and abs(e.ts - alert.ts) <= t.breach_window_s]
        if confirms:
            first = min(confirms, key=lambda e: e.ts)
            out.append(Firing(3, SECURITY_BREACH, first.subject, {
                "measured": round(abs(first.ts - alert.ts), 1), "threshold": t.breach_window_s,
                "window_s": t.breach_window_s, "unit": "s between the alert and its confirmation",
                "alert_event": alert.id, "confirm_event": first.id, "confirmed_by": first.trigger,
                "alerts": [a for a in alert.detail.get("alerts", []) if str(a.get("source")) == first.subject][:5]}))
    return out


def _integrity(history: History, t: Triggers, events: list[Event]) -> list[Firing]:
    judged = {(e.subject, e.detail.get("run_id")) for e in events if e.trigger == DATA_INTEGRITY}
    out = []
    for control in t.integrity_controls:
        failed: dict[int, list[str]] = {}
        for r in history.results(since=watch_start(history), control=control):
            if r.outcome != "passed" and (control, r.run_id) not in judged:
                failed.setdefault(r.run_id, []).append(f"{r.test_id}: {r.message}"[:300])
        for run_id, lines in sorted(failed.items()):
            out.append(Firing(3, DATA_INTEGRITY, control, {
                "measured": len(lines), "threshold": 0, "window_s": 0.0, "unit": "failed integrity tests",
                "run_id": run_id, "failures": lines[:5]}))
    return out


def evaluate(history: History, t: Triggers, now: float, events: list[Event] | None = None) -> list[Firing]:
    """The Level 3 triggers that fire now. `events`: every event so far, this sample's Level 1/2 included."""
    events = history.events() if events is None else events
    last: dict[tuple[str, str], float] = {}
    for e in events:
        if e.level == 3:
            last[(e.trigger, e.subject)] = max(e.ts, last.get((e.trigger, e.subject), e.ts))
    return _sampled(history, t, now, last) + _breaches(events, t) + _integrity(history, t, events)
