"""Level 1 and Level 2 escalation triggers over the watch history (pure: reads the History only).

Level 1 (per service): service-down, memory-high, error-rate, auth-failures, security-alert.
Level 2: restart-failed (per service), multiple-services (the stack), response-degraded (per endpoint).

Edge-triggered, and derived from the events table so a restarted watcher agrees with the one
before it: a trigger fires for a subject when its condition holds now and either it never fired
for that subject, or the condition did not hold at some sample time after its last firing (the
incident cleared and this is a new one). Conditions are judged at sample times, as the watcher
sees them (it evaluates after every sample).

Windowed counts (errors, auth failures) sum the samples whose time falls in (now - window, now];
while the history is younger than the window, that sum is a lower bound of the true count, so a
firing on it is still sound.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from nestgate.config.watch import Triggers
from nestgate.watch.history import Event, History, Sample

SERVICE_DOWN = "service-down"
MEMORY_HIGH = "memory-high"
ERROR_RATE = "error-rate"
AUTH_FAILURES = "auth-failures"
SECURITY_ALERT = "security-alert"
RESTART_FAILED = "restart-failed"
MULTIPLE_SERVICES = "multiple-services"
RESPONSE_DEGRADED = "response-degraded"
LEVEL1 = (SERVICE_DOWN, MEMORY_HIGH, ERROR_RATE, AUTH_FAILURES, SECURITY_ALERT)

STACK_SUBJECT = "stack"               # multiple-services concerns the stack, not one service
RESTART_ACTION = "restart"            # the action record escalation writes for a restart
BASELINE_KEY = "watch.baseline"       # meta: {endpoint: {"median_s", "samples_s", "from_ts", "to_ts"}}
WATCH_START_KEY = "watch_start"       # meta: epoch s of the first watcher start (loop.py)
# A measurement that failed is recorded as -1 (sampler.FAILED): for these signals it says nothing
# about the condition, so it neither continues nor breaks a run and adds nothing to a count.
# http.response_s keeps its -1: no answer is the worst response time.
SKIP_FAILED = {"memory.percent", "log.errors", "auth.failures", "security.alerts"}


@dataclass(frozen=True)
class Firing:
    level: int
    trigger: str
    subject: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class State:
    """One trigger's condition for one subject at one moment."""

    level: int
    trigger: str
    subject: str
    active: bool
    detail: dict[str, Any]
    since: float | None = None   # run-based triggers: first sample of the current run
    reaches_start: bool = False  # that run starts at the loaded range's first sample: may be older


class Series:
    """The samples of one time range, per (signal, subject), oldest first, with prefix sums."""

    def __init__(self, samples: Iterable[Sample], start: float) -> None:
        self.start = start
        self._ts: dict[tuple[str, str], list[float]] = {}
        self._vals: dict[tuple[str, str], list[float]] = {}
        self._details: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for s in samples:
            if s.value < 0 and s.signal in SKIP_FAILED:
                continue
            self._ts.setdefault((s.signal, s.subject), []).append(s.ts)
            self._vals.setdefault((s.signal, s.subject), []).append(s.value)
            self._details.setdefault((s.signal, s.subject), []).append(s.detail)
        self._prefix: dict[tuple[str, str], list[float]] = {}
        self._breaks: dict[tuple[str, str, str], list[int]] = {}
        self.times = sorted({t for ts in self._ts.values() for t in ts})

    def subjects(self, signal: str) -> list[str]:
        return sorted(subject for sig, subject in self._ts if sig == signal)

    def times_of(self, signal: str, subject: str) -> list[float]:
        return self._ts.get((signal, subject), [])

    def latest(self, signal: str, subject: str, at: float) -> tuple[float, float, float | None] | None:
        """(ts, value, previous ts) of the newest sample at or before `at`."""
        ts = self._ts.get((signal, subject), [])
        n = bisect_right(ts, at)
        if n == 0:
            return None
        return ts[n - 1], self._vals[(signal, subject)][n - 1], ts[n - 2] if n > 1 else None

    def newest_detail(self, signal: str, subject: str, lo: float, hi: float, key: str) -> Any:
        """The newest value of detail[key] among the samples with lo < ts <= hi (None: none has it)."""
        ts = self._ts.get((signal, subject), [])
        details = self._details.get((signal, subject), [])
        for i in range(bisect_right(ts, hi) - 1, bisect_right(ts, lo) - 1, -1):
            if details[i].get(key):
                return details[i][key]
        return None

    def window_sum(self, signal: str, subject: str, lo: float, hi: float) -> tuple[float, int]:
        """Sum and count of the samples with lo < ts <= hi."""
        key = (signal, subject)
        ts = self._ts.get(key, [])
        if key not in self._prefix:
            acc, prefix = 0.0, [0.0]
            for v in self._vals.get(key, []):
                acc += v
                prefix.append(acc)
            self._prefix[key] = prefix
        i, j = bisect_right(ts, lo), bisect_right(ts, hi)
        return self._prefix[key][j] - self._prefix[key][i], j - i

    def run_start(self, signal: str, subject: str, at: float, name: str,
                  bad: Callable[[float], bool]) -> tuple[float | None, bool]:
        """First sample of the run of `bad` samples ending with the newest one at or before `at`.

        (None, False) when that newest sample is not bad. The bool says the run reaches back to
        the first loaded sample, so it may be older than the loaded range shows.
        """
        key = (signal, subject)
        ts, vals = self._ts.get(key, []), self._vals.get(key, [])
        n = bisect_right(ts, at)
        if n == 0 or not bad(vals[n - 1]):
            return None, False
        bkey = (signal, subject, name)
        if bkey not in self._breaks:  # index of the latest good sample at or before each index
            last, breaks = -1, []
            for i, v in enumerate(vals):
                if not bad(v):
                    last = i
                breaks.append(last)
            self._breaks[bkey] = breaks
        first = self._breaks[bkey][n - 1] + 1
        return ts[first], first == 0


# -- Level 1 ---------------------------------------------------------------------------------------
def _run_state(series: Series, trigger: str, level: int, signal: str, subject: str, at: float, window: float,
               bad: Callable[[float], bool], name: str, detail: Callable[[float, float], dict[str, Any]]) -> State:
    since, reaches = series.run_start(signal, subject, at, name, bad)
    newest = series.latest(signal, subject, at)
    value = newest[1] if newest else None
    if since is None:
        return State(level, trigger, subject, False, {"measured": value})
    held = at - since
    return State(level, trigger, subject, held >= window,
                 {**detail(value if value is not None else 0.0, held), "since": since}, since, reaches)


def service_down(series: Series, t: Triggers, subject: str, at: float) -> State:
    return _run_state(series, SERVICE_DOWN, 1, "service.up", subject, at, t.service_down_s,
                      lambda v: v < 1.0, "down",
                      lambda v, held: {"measured": round(held, 1), "threshold": t.service_down_s,
                                       "window_s": t.service_down_s, "unit": "s down"})


def memory_high(series: Series, t: Triggers, subject: str, at: float) -> State:
    return _run_state(series, MEMORY_HIGH, 1, "memory.percent", subject, at, t.memory_for_s,
                      lambda v: v > t.memory_percent, f"mem>{t.memory_percent}",
                      lambda v, held: {"measured": round(v, 1), "threshold": t.memory_percent,
                                       "window_s": t.memory_for_s, "unit": "% of memory limit",
                                       "held_s": round(held, 1)})


def _example(series: Series, signal: str, subject: str, lo: float, hi: float) -> dict[str, Any]:
    """A matching log line (the sampler keeps one, redacted): what the on-call person reads first."""
    line = series.newest_detail(signal, subject, lo, hi, "example")
    return {"example": line} if line else {}


def error_rate(series: Series, t: Triggers, subject: str, at: float) -> State:
    total, n = series.window_sum("log.errors", subject, at - t.errors_window_s, at)
    rate = total / (t.errors_window_s / 60.0)
    active = rate > t.errors_per_minute
    return State(1, ERROR_RATE, subject, active,
                 {"measured": round(rate, 2), "threshold": t.errors_per_minute, "window_s": t.errors_window_s,
                  "unit": "errors/min", "count": int(total), "samples": n,
                  **(_example(series, "log.errors", subject, at - t.errors_window_s, at) if active else {})})


def auth_failures(series: Series, t: Triggers, subject: str, at: float) -> State:
    total, n = series.window_sum("auth.failures", subject, at - t.auth_window_s, at)
    active = total > t.auth_failures
    return State(1, AUTH_FAILURES, subject, active,
                 {"measured": int(total), "threshold": t.auth_failures, "window_s": t.auth_window_s,
                  "unit": "failures", "samples": n,
                  **(_example(series, "auth.failures", subject, at - t.auth_window_s, at) if active else {})})


def security_alert(series: Series, t: Triggers, subject: str, at: float) -> State:
    newest = series.latest("security.alerts", subject, at)
    if newest is None:
        return State(1, SECURITY_ALERT, subject, False, {"measured": None})
    ts, value, previous = newest
    alerts = series.newest_detail("security.alerts", subject, ts - 1e-6, ts, "alerts") or []
    return State(1, SECURITY_ALERT, subject, t.security_alerts and value > 0,
                 {"measured": int(value), "threshold": 0, "window_s": round(ts - previous, 1) if previous else 0.0,
                  "unit": "alerts", "sample_ts": ts, **({"alerts": alerts[:5]} if alerts else {})})


LEVEL1_RULES: dict[str, tuple[str, Callable[[Series, Triggers, str, float], State]]] = {
    SERVICE_DOWN: ("service.up", service_down),
    MEMORY_HIGH: ("memory.percent", memory_high),
    ERROR_RATE: ("log.errors", error_rate),
    AUTH_FAILURES: ("auth.failures", auth_failures),
    SECURITY_ALERT: ("security.alerts", security_alert),
}
RUN_BASED = {SERVICE_DOWN, MEMORY_HIGH, RESPONSE_DEGRADED}


def level1_states(series: Series, t: Triggers, at: float) -> list[State]:
    return [rule(series, t, subject, at) for signal, rule in LEVEL1_RULES.values()
            for subject in series.subjects(signal)]


# -- Level 2 ---------------------------------------------------------------------------------------
def multiple_services(series: Series, t: Triggers, at: float, level1: list[State] | None = None) -> State:
    states = level1 if level1 is not None else level1_states(series, t, at)
    affected: dict[str, list[str]] = {}
    for s in states:
        # a security alert's subject is the monitor that raised it, not a service in trouble
        if s.active and s.trigger != SECURITY_ALERT:
            affected.setdefault(s.subject, []).append(s.trigger)
    return State(2, MULTIPLE_SERVICES, STACK_SUBJECT, len(affected) >= t.multiple_services,
                 {"measured": len(affected), "threshold": t.multiple_services, "window_s": 0.0, "unit": "services",
                  "services": {k: sorted(v) for k, v in sorted(affected.items())}})


def response_degraded(series: Series, t: Triggers, endpoint: str, at: float, baseline_s: float | None) -> State:
    if not baseline_s or baseline_s <= 0:
        return State(2, RESPONSE_DEGRADED, endpoint, False, {"measured": None, "reason": "no baseline yet"})

    def percent(v: float) -> float:
        return (v - baseline_s) / baseline_s * 100.0

    def bad(v: float) -> bool:  # no answer (-1) is worse than any slow answer
        return v < 0 or (v > t.degradation_min_s and percent(v) > t.degradation_percent)

    return _run_state(series, RESPONSE_DEGRADED, 2, "http.response_s", endpoint, at, t.degradation_for_s, bad,
                      f"deg>{t.degradation_percent}@{baseline_s}>{t.degradation_min_s}",
                      lambda v, held: {"measured": round(percent(v), 1) if v >= 0 else None,
                                       "response_s": v if v >= 0 else None, "baseline_s": baseline_s,
                                       "threshold": t.degradation_percent, "window_s": t.degradation_for_s,
                                       "floor_s": t.degradation_min_s,
                                       "unit": "% over baseline", "no_answer": v < 0, "held_s": round(held, 1)})


def restart_failures(history: History, t: Triggers, now: float, events: list[Event]) -> list[Firing]:
    """Restarts whose grace has passed with no `service.up` = 1 sample in (restart, restart + grace]."""
    judged = {e.detail.get("restart_event") for e in events if e.trigger == RESTART_FAILED}
    out = []
    for e in events:
        for action in e.actions:
            if action.get("action") != RESTART_ACTION or e.id in judged:
                continue
            service, started = str(action.get("service") or e.subject), float(action.get("ts") or e.ts)
            if now - started < t.restart_grace_s:
                continue
            window = history.samples("service.up", since=started, until=started + t.restart_grace_s, subject=service)
            back = [s.ts for s in window if s.ts > started and s.value >= 1.0]
            if back:
                continue
            out.append(Firing(2, RESTART_FAILED, service, {
                "measured": round(now - started, 1), "threshold": t.restart_grace_s, "window_s": t.restart_grace_s,
                "unit": "s without the service up after its restart", "restart_event": e.id, "restart_ts": started,
                "restart_ok": bool(action.get("ok")), "samples_in_grace": len(window),
                "restart_trigger": e.trigger}))
    return out


# -- baseline ---------------------------------------------------------------------------------------
def watch_start(history: History) -> float:
    value = history.get_meta(WATCH_START_KEY)
    return float(value) if isinstance(value, (int, float)) else 0.0


def baseline(history: History, t: Triggers) -> tuple[dict[str, dict[str, Any]], bool]:
    """Per endpoint: median of the first N answered samples after the watch start. (all, changed).

    Endpoints already in meta keep their baseline (a restarted watcher must not re-learn it from a
    degraded moment); the caller stores the result when changed.
    """
    stored: dict[str, dict[str, Any]] = dict(history.get_meta(BASELINE_KEY, {}) or {})
    start = watch_start(history)
    ok = {(s.subject, s.ts) for s in history.samples("http.ok", since=start) if s.value >= 1.0}
    first: dict[str, list[Sample]] = {}
    for s in history.samples("http.response_s", since=start):
        if s.subject in stored or s.value < 0 or (s.subject, s.ts) not in ok:
            continue
        if len(first.setdefault(s.subject, [])) < t.baseline_samples:
            first[s.subject].append(s)
    changed = False
    for endpoint, samples in first.items():
        if len(samples) >= t.baseline_samples:
            stored[endpoint] = {"median_s": statistics.median(s.value for s in samples),
                                "samples_s": [s.value for s in samples], "from_ts": samples[0].ts,
                                "to_ts": samples[-1].ts}
            changed = True
    return stored, changed


# -- edge detection -----------------------------------------------------------------------------------
@dataclass
class _Context:
    series: Series
    t: Triggers
    baselines: dict[str, float]
    level1_cache: dict[float, list[State]] = field(default_factory=dict)

    def level1(self, at: float) -> list[State]:
        if at not in self.level1_cache:
            self.level1_cache[at] = level1_states(self.series, self.t, at)
        return self.level1_cache[at]

    def state_at(self, trigger: str, subject: str, at: float) -> State:
        if trigger in LEVEL1_RULES:
            return LEVEL1_RULES[trigger][1](self.series, self.t, subject, at)
        if trigger == MULTIPLE_SERVICES:
            return multiple_services(self.series, self.t, at, self.level1(at))
        return response_degraded(self.series, self.t, subject, at, self.baselines.get(subject))

    def observation_times(self, trigger: str, subject: str) -> list[float]:
        if trigger in LEVEL1_RULES:
            return self.series.times_of(LEVEL1_RULES[trigger][0], subject)
        if trigger == RESPONSE_DEGRADED:
            return self.series.times_of("http.response_s", subject)
        return self.series.times


def _max_window(t: Triggers) -> float:
    return max(t.service_down_s, t.memory_for_s, t.errors_window_s, t.auth_window_s, t.degradation_for_s)


def _is_new(ctx: _Context, state: State, last: float | None, now: float) -> bool | None:
    """Fire? None: the loaded range is too short to tell (the caller loads more and asks again)."""
    partial = ctx.series.start > 0  # older samples exist beyond the loaded range
    if state.trigger in RUN_BASED:
        if state.since is not None and last is not None and last >= state.since:
            return False  # fired during this run
        if state.reaches_start and partial:
            return None  # the run may be older than the range: did it begin before the last firing?
        return True
    if last is None:
        return True
    if partial and last - _max_window(ctx.t) < ctx.series.start:
        return None
    times = ctx.observation_times(state.trigger, state.subject)
    for at in reversed(times[bisect_left(times, last, 0, bisect_left(times, now)):]):
        if at > last and not ctx.state_at(state.trigger, state.subject, at).active:
            return True  # cleared after the last firing: a new incident
    return False


def _active_states(ctx: _Context, now: float) -> list[State]:
    level1 = ctx.level1(now)
    states = [s for s in level1 if s.active]
    states.append(multiple_services(ctx.series, ctx.t, now, level1))
    states += [response_degraded(ctx.series, ctx.t, ep, now, ctx.baselines.get(ep))
               for ep in ctx.series.subjects("http.response_s")]
    return [s for s in states if s.active]


def evaluate(history: History, t: Triggers, now: float, baselines: dict[str, float] | None = None,
             events: list[Event] | None = None) -> list[Firing]:
    """The triggers that fire now (Level 1 first), given the history and the response baselines."""
    events = history.events() if events is None else events
    last: dict[tuple[str, str], float] = {}
    for e in events:
        last[(e.trigger, e.subject)] = max(e.ts, last.get((e.trigger, e.subject), e.ts))
    start = max(0.0, now - 2 * _max_window(t) - 60.0)
    while True:
        ctx = _Context(Series(history.samples(since=start, until=now), start), t, baselines or {})
        decided = [(s, _is_new(ctx, s, last.get((s.trigger, s.subject)), now)) for s in _active_states(ctx, now)]
        undecided = [last.get((s.trigger, s.subject)) for s, new in decided if new is None]
        if not undecided or start == 0.0:
            break
        older = min(e - _max_window(t) - 1.0 for e in undecided) if None not in undecided else 0.0
        start = max(0.0, older) if older < start else 0.0  # always load more; at worst everything
    firings = [Firing(s.level, s.trigger, s.subject, s.detail) for s, new in decided if new is not False]
    return firings + restart_failures(history, t, now, events)
