"""The watcher: a sample every sample_every_s, a controls round when the schedule says, escalation
after every sample, until the schedule ends or a signal stops it.

Restart-safe: the watch start and schedule are written to the history's meta table on the first
start only; a restarted watcher keeps them, continues the sampler's counts from its saved state
and the schedule from the last round in the history. SIGTERM/SIGINT finish the sample in progress,
abort a running round (recorded as failed), write `watch_stopped` and close the history.
"""

from __future__ import annotations

import importlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.config.schedule import Phase, parse_schedule
from nestgate.errors import ConfigError
from nestgate.redact import REDACTOR
from nestgate.watch.actions import ANNOUNCED_KEY, announce_watch
from nestgate.watch.history import History, Sample
from nestgate.watch.rounds import Round, Selection, selection_for
from nestgate.watch.sampler import FAILED, SamplerState, reason, sample
from nestgate.watch.schedule import next_due

EXIT_OK, EXIT_ROUND_FAILED, EXIT_SIGINT = 0, 1, 130
ESCALATION_MODULE = "nestgate.watch.escalation"


@dataclass(frozen=True)
class Options:
    schedule: str | None = None  # overrides [watch].schedule on the first start
    marker: str | None = None  # overrides [watch].marker
    once: bool = False  # one sample and one round, then exit (0: round GO, 1: not)
    history: Path | None = None  # overrides [watch].history
    sample_every_s: float | None = None  # overrides [watch].sample_every_s


def phases_of(text: str, what: str) -> list[Phase]:
    try:
        return parse_schedule(text)
    except ValueError as exc:
        raise ConfigError(f"{what}: {exc}") from None


def load_escalation() -> Callable[..., Any] | None:
    """nestgate.watch.escalation.escalate, or None while that module is not installed."""
    try:
        module = importlib.import_module(ESCALATION_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != ESCALATION_MODULE:
            raise  # the module exists but one of its own imports is missing: a real error
        return None
    return module.escalate


def summary(samples: list[Sample]) -> str:
    """One line: what a person wants from a sample at a glance."""
    def of(signal: str) -> list[Sample]:
        return [s for s in samples if s.signal == signal]

    up = of("service.up")
    down = [s.subject for s in up if s.value < 1.0]
    mem = [s for s in of("memory.percent") if s.value != FAILED]
    top = max(mem, key=lambda s: s.value, default=None)
    http_ok = of("http.ok")
    times = [s.value for s in of("http.response_s") if s.value != FAILED]

    def total(signal: str) -> str:
        vals = [s.value for s in of(signal) if s.value != FAILED]
        return f"{int(sum(vals))}" if vals else "?"

    parts = [f"up {len(up) - len(down)}/{len(up)}" + (f" (down: {', '.join(down)})" if down else ""),
             f"memory max {top.value:.1f}% ({top.subject})" if top else "memory ?",
             f"errors {total('log.errors')}", f"auth failures {total('auth.failures')}",
             f"alerts {total('security.alerts')}",
             f"http {int(sum(s.value for s in http_ok))}/{len(http_ok)} ok"
             + (f" (max {max(times):.3f} s)" if times else "")]
    failures = [s for s in samples if "error" in s.detail]
    if failures:
        parts.append(f"{len(failures)} unavailable: {failures[0].signal} {failures[0].subject}: "
                     f"{failures[0].detail['error'][:160]}")
    return ", ".join(parts)


class Watcher:
    def __init__(self, cfg: LoadedConfig, options: Options, say: Callable[[str], None] | None = None) -> None:
        self.cfg = cfg
        self.options = options
        self.say = say or (lambda text: print(f"nestgate watch: {REDACTOR.scrub(text)}", flush=True))
        self.every_s = options.sample_every_s or cfg.model.watch.sample_every_s
        self.history_path = options.history or cfg.resolve(cfg.model.watch.history)
        self.selection: Selection = selection_for(cfg, options.marker)
        phases_of(options.schedule or cfg.model.watch.schedule,
                  "--schedule" if options.schedule else "[watch].schedule")
        self.stop_reason: str | None = None
        self._wake = threading.Event()

    # -- signals ---------------------------------------------------------------------------
    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_reason = signal.Signals(signum).name
        self._wake.set()

    def _install_signals(self) -> dict[int, Any]:
        if threading.current_thread() is not threading.main_thread():
            return {}
        return {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> int:
        history = History(self.history_path)
        previous = self._install_signals()
        current: Round | None = None
        try:
            start, phases = self._begin(history)
            state = SamplerState.load(history)
            escalate = load_escalation()
            if escalate is None:
                self.say(f"triggers are not available in this install ({ESCALATION_MODULE} missing): "
                         "sampling and rounds only")
            runs = history.runs()
            last_round = runs[-1].started if runs else None
            sampled = rounded = False
            last_verdict: str | None = None
            next_sample = time.time()
            while self.stop_reason is None:
                now = time.time()
                if current is not None and current.poll() is not None:
                    last_verdict = current.verdict
                    self._report_round(current)
                    current = None
                if now >= next_sample and not (self.options.once and sampled):
                    self._sample(history, state, escalate, now)
                    sampled = True
                    next_sample = max(next_sample + self.every_s, time.time())
                due = None if self.options.once else next_due(phases, start, time.time(), last_round)
                if current is None:
                    if self.options.once:
                        if not rounded:
                            current, rounded, last_round = self._start_round(history), True, time.time()
                            continue
                        if sampled:
                            self.stop_reason = "once"
                    elif due is None:
                        self.stop_reason = "schedule complete"
                    elif due <= time.time():
                        current, last_round = self._start_round(history), time.time()
                        continue
                if self.stop_reason is None:
                    wake_at = min(next_sample, due if due is not None and current is None else next_sample)
                    if current is not None:
                        wake_at = min(wake_at, time.time() + 1.0)  # poll the round
                    self._wake.wait(max(0.0, wake_at - time.time()))
            if current is not None:
                self.say(f"stopping ({self.stop_reason}): aborting round {current.run_id}")
                current.abort(str(self.stop_reason))
                last_verdict = current.verdict
                self._report_round(current)
                current = None
            history.set_meta("watch_stopped", {"ts": time.time(), "reason": self.stop_reason, "pid": os.getpid()})
            self.say(f"stopped ({self.stop_reason}); history {self.history_path}")
        finally:
            if current is not None:  # an error escaped the loop: do not leave pytest running
                current.abort("watcher error")
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            history.close()
        if self.stop_reason == "SIGINT":
            return EXIT_SIGINT
        if self.stop_reason == "SIGTERM":  # a service manager's stop is a clean stop, --once or not
            return EXIT_OK
        if self.options.once:
            return EXIT_OK if last_verdict == "GO" else EXIT_ROUND_FAILED
        return EXIT_OK

    def _begin(self, history: History) -> tuple[float, list[Phase]]:
        now = time.time()
        start = history.get_meta("watch_start")
        wanted = self.options.schedule or self.cfg.model.watch.schedule
        if start is None:
            start, schedule = now, wanted
            history.set_meta("watch_start", start)
            history.set_meta("watch_schedule", schedule)
            self.say(f"watch started: schedule {schedule}, sample every {self.every_s:g} s, "
                     f"controls {self.selection.describe()}; history {self.history_path}")
            told = announce_watch(self.cfg, start)
            history.set_meta(ANNOUNCED_KEY, told)
            if told:
                self.say("watch start announced: " + ", ".join(
                    f"{a.get('action')} {a.get('to')} {'ok' if a.get('ok') else 'FAILED'}" for a in told))
        else:
            schedule = str(history.get_meta("watch_schedule", wanted))
            note = f" (kept; {wanted} not applied)" if wanted != schedule else ""
            self.say(f"watch resumed: started {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(float(start)))}, "
                     f"schedule {schedule}{note}; history {self.history_path}")
        history.set_meta("watch_last_start", {"ts": now, "pid": os.getpid()})
        for run in history.runs():
            if run.finished is None:  # a watcher killed mid-round left it open
                history.finish_run(run.id, now, -1, "NO-GO: the watcher stopped before the round finished")
        return float(start), phases_of(schedule, "watch_schedule in the history")

    def _sample(self, history: History, state: SamplerState, escalate: Callable[..., Any] | None,
                now: float) -> None:
        samples = sample(self.cfg, state, now)
        history.add_samples(now, samples)
        state.save(history)
        self.say(f"sample {time.strftime('%H:%M:%S', time.localtime(now))}: {summary(samples)}")
        if escalate is None:
            return
        try:
            events = escalate(history, self.cfg, now, engine=state.probes_for(self.cfg).engine) or []
        except Exception as exc:  # a trigger bug must not end a 24 h watch; it is reported
            self.say(f"escalation failed: {reason(exc)}")
            return
        for event in events:
            done = ", ".join(f"{a.get('action')} {'ok' if a.get('ok') else 'FAILED'}" for a in event.actions)
            self.say(f"event: level {event.level} {event.trigger} {event.subject}; actions: {done or 'none'}")

    def _start_round(self, history: History) -> Round:
        rnd = Round(history, self.cfg, self.selection, time.time())
        if not rnd.done:
            self.say(f"round {rnd.run_id} started: {self.selection.describe()}")
        return rnd

    def _report_round(self, rnd: Round) -> None:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(rnd.counts.items()))
        self.say(f"round {rnd.run_id}: {rnd.verdict} [{counts}] (evidence {rnd.bundle})")
