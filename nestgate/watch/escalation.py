"""After every sample: evaluate the triggers (Levels 1 and 2, then Level 3), record each new event,
run its opt-in actions and record what they did (triggers.py and level3.py for the conditions,
actions.py for the actions)."""

from __future__ import annotations

from dataclasses import replace

from nestgate.config import LoadedConfig
from nestgate.probes.engine import Engine
from nestgate.redact import REDACTOR
from nestgate.watch import level3, triggers
from nestgate.watch.actions import last_rollback, run_actions
from nestgate.watch.history import Event, History


def escalate(history: History, cfg: LoadedConfig, now: float, engine: Engine | None = None) -> list[Event]:
    """The events that fired now, each with its actions' records (already stored in the history).

    `engine`: the watcher's Docker connection, reused by the actions (a new one when None).
    """
    t = cfg.model.watch.triggers
    stored, changed = triggers.baseline(history, t)
    if changed:  # kept in meta: a restarted watcher judges against the same post-deploy baseline
        history.set_meta(triggers.BASELINE_KEY, stored)
    baselines = {endpoint: float(b["median_s"]) for endpoint, b in stored.items()}
    out: list[Event] = []
    events = history.events()
    for firing in triggers.evaluate(history, t, now, baselines, events):
        out.append(_record(history, cfg, now, firing, engine, events))
    # Level 3 judges the events just recorded too (a breach is an alert confirmed by a Level 1 event).
    events = history.events()
    for firing in level3.evaluate(history, t, now, events):
        out.append(_record(history, cfg, now, firing, engine, events))
        events = history.events()  # the rollback it may have run counts for the next one
    return out


def _record(history: History, cfg: LoadedConfig, now: float, firing: triggers.Firing, engine: Engine | None,
            events: list[Event]) -> Event:
    detail = REDACTOR.scrub_any(firing.detail)
    event_id = history.add_event(now, firing.level, firing.trigger, firing.subject, detail)
    event = Event(event_id, now, firing.level, firing.trigger, firing.subject, detail, [])
    actions = run_actions(event, cfg, engine, last_rollback(events))
    history.set_event_actions(event_id, actions)
    return replace(event, actions=actions)
