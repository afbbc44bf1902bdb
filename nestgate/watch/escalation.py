"""After every sample: evaluate the triggers, record each new event, run its opt-in actions and
record what they did (see triggers.py for the conditions, actions.py for the actions)."""

from __future__ import annotations

from dataclasses import replace

from nestgate.config import LoadedConfig
from nestgate.probes.engine import Engine
from nestgate.redact import REDACTOR
from nestgate.watch import triggers
from nestgate.watch.actions import run_actions
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
    out = []
    for firing in triggers.evaluate(history, t, now, baselines):
        detail = REDACTOR.scrub_any(firing.detail)
        event_id = history.add_event(now, firing.level, firing.trigger, firing.subject, detail)
        event = Event(event_id, now, firing.level, firing.trigger, firing.subject, detail, [])
        actions = run_actions(event, cfg, engine)
        history.set_event_actions(event_id, actions)
        out.append(replace(event, actions=actions))
    return out
