"""What a fired trigger does, each action opt-in through [watch.actions]:

    capture-logs  Level 1: the service's logs and inspect (on a swarm: every task's, on every node,
                  through the manager), redacted, into
                  <evidence_dir>/incidents/<ts>-<trigger>-<subject>/ with a SHA-256 manifest (capture_logs);
                  taken before a restart, so it shows the failing state
    restart       Level 1 service-down / memory-high: `docker service update --force` (restart_service)
    incident      Level 3: an incident bundle as `nestgate incident collect` writes it (incident_bundle)
    rollback      Level 3: rollback_command, once per emergency, timed against kpi.rollback_s
    notify        every level: the event as JSON to notify_webhook (POST) and/or notify_command (stdin),
                  and to the level's own route ([watch.notify] levelN)

Every action returns a record (dict) for the event's `actions`; an action that fails says why in
its record and never raises: a 24-hour watch must outlive a broken webhook.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.drills.notify import post_json, run_command
from nestgate.drills.restart import force_restart
from nestgate.errors import one_line
from nestgate.gate.bundle import unique_dir, write_tree_manifest
from nestgate.probes.diagnostics import diagnostics
from nestgate.probes.engine import Engine
from nestgate.redact import REDACTOR
from nestgate.watch.history import Event
from nestgate.watch.triggers import MEMORY_HIGH, RESTART_ACTION, SERVICE_DOWN

RESTARTABLE = {SERVICE_DOWN, MEMORY_HIGH}
CAPTURE_FORMAT = "nestgate-incident-capture/1"
NOTIFY_FORMAT = "nestgate-watch-event/1"
ANNOUNCED_KEY = "watch.announced"  # meta: the delivery records of the watch-start notice


def _guarded(name: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one action; an unexpected error becomes its failed record (the watcher goes on)."""
    started = time.time()
    try:
        record = fn()
    except Exception as exc:  # any failure of an action is recorded, never raised into the loop
        record = {"ok": False, "error": f"{type(exc).__name__}: {one_line(exc)}"}
    return REDACTOR.scrub_any({"action": name, "ts": started, **record})


# -- restart -------------------------------------------------------------------------------------
def restart(event: Event, engine: Engine) -> dict[str, Any]:
    result = force_restart(engine, event.subject)
    return {"service": event.subject, "ok": result.ok, "how": result.how, "message": result.message}


# -- capture logs --------------------------------------------------------------------------------
def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "subject"


def _incident_dir(cfg: LoadedConfig, event: Event) -> Path:
    stamp = dt.datetime.fromtimestamp(event.ts, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    parent = cfg.resolve(cfg.model.watch.evidence_dir) / "incidents"
    return unique_dir(parent, f"{stamp}-{_safe(event.trigger)}-{_safe(event.subject)}")


def capture_logs(event: Event, cfg: LoadedConfig, engine: Engine) -> dict[str, Any]:
    since = event.ts - cfg.model.watch.actions.capture_logs_since_s
    diag = diagnostics(engine, event.subject, since)
    folder = _incident_dir(cfg, event)
    # A swarm's lines come through the manager: each names its task (container) and its node.
    logs = "".join(f"{dt.datetime.fromtimestamp(line.timestamp, dt.UTC).isoformat()} {line.container}"
                   f"{f' node={line.node}' if line.node else ''} {line.text}\n" for line in diag.logs)
    files = {
        "event.json": json.dumps(_event_json(event), indent=2, default=str),
        "logs.txt": logs,
        "inspect.json": json.dumps({"service": diag.service_inspect, "tasks": diag.tasks,
                                    "containers": diag.containers}, indent=2, default=str),
    }
    for name, text in files.items():
        (folder / name).write_text(REDACTOR.scrub(text), encoding="utf-8")
    write_tree_manifest(folder, CAPTURE_FORMAT, service=event.subject, logs_since=since,
                        log_lines=len(diag.logs), tasks=len(diag.tasks), containers=len(diag.containers),
                        errors=[REDACTOR.scrub(e) for e in diag.errors])
    # Partial evidence is still written, but the record says it is partial.
    ok = not diag.errors and (diag.service_inspect is not None or engine.orchestrator != "swarm")
    return {"service": event.subject, "ok": ok, "path": str(folder), "log_lines": len(diag.logs),
            "tasks": len(diag.tasks), "containers": len(diag.containers),
            **({"errors": diag.errors} if diag.errors else {})}


# -- notify --------------------------------------------------------------------------------------
def _event_json(event: Event) -> dict[str, Any]:
    return {"id": event.id, "ts": event.ts,
            "time": dt.datetime.fromtimestamp(event.ts, dt.UTC).isoformat(timespec="seconds"),
            "level": event.level, "trigger": event.trigger, "subject": event.subject, "detail": event.detail}


def payload(event: Event, cfg: LoadedConfig, actions: list[dict[str, Any]]) -> str:
    """The notification: the event, the target, and the actions already taken; redacted."""
    t = cfg.model.target
    body = {"format": NOTIFY_FORMAT, "source": "nestgate watch", **_event_json(event),
            "target": {"name": t.name, "stack": t.stack, "base_url": t.base_url}, "actions": actions}
    return REDACTOR.scrub(json.dumps(REDACTOR.scrub_any(body), sort_keys=True, default=str))


def notify_webhook(url: str, body: str, timeout_s: float) -> dict[str, Any]:
    got = post_json(url, body, timeout_s)
    # Only the origin is recorded: a webhook's path often is its credential (Slack, Teams).
    parts = urllib.parse.urlsplit(url)
    return {"ok": got.ok, "to": f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}", "message": got.message,
            "duration_s": round(got.duration_s, 3)}


def notify_command(argv: list[str], body: str, timeout_s: float) -> dict[str, Any]:
    got = run_command(argv, body, timeout_s)
    return {"ok": got.ok, "to": argv[0], "message": got.message, "duration_s": round(got.duration_s, 3)}


# -- Level 3: rollback and incident bundle --------------------------------------------------------
def rollback(cfg: LoadedConfig, last_rollback: float | None, now: float) -> dict[str, Any]:
    conf, limit = cfg.model.watch.actions, cfg.model.watch.kpi.rollback_s
    if last_rollback is not None and now - last_rollback < conf.rollback_cooldown_s:
        return {"ok": True, "ran": False, "reason": f"a Level 3 rollback ran {now - last_rollback:.0f} s ago "
                f"(cooldown {conf.rollback_cooldown_s:g} s)"}
    got = run_command(conf.rollback_command, "", conf.rollback_timeout_s)
    within = got.ok and got.duration_s < limit  # the procedure's "< 5 Minutes"
    return {"ok": within, "ran": True, "command": conf.rollback_command[0], "message": got.message,
            "duration_s": round(got.duration_s, 3), "limit_s": limit, "within_limit": within}


def incident_bundle(event: Event, cfg: LoadedConfig) -> dict[str, Any]:
    from nestgate.watch.incident import collect  # the incident command's own collection, not a copy

    reports = cfg.resolve(cfg.model.watch.evidence_dir).parent
    c = collect(cfg, event.ts - cfg.model.watch.actions.capture_logs_since_s, None, reports, time.time())
    return {"ok": not c.not_collected, "path": str(c.bundle), "not_collected": c.not_collected}


def last_rollback(events: list[Event]) -> float | None:
    """When the latest Level 3 rollback command ran (None: never)."""
    times = [float(a["ts"]) for e in events for a in e.actions if a.get("action") == "rollback" and a.get("ran")]
    return max(times, default=None)


def routes(cfg: LoadedConfig, levels: tuple[int, ...]) -> tuple[list[str], list[list[str]]]:
    """The webhooks and commands that tell someone about events of these levels (each once)."""
    conf, notify = cfg.model.watch.actions, cfg.model.watch.notify
    hooks = [conf.notify_webhook, *(getattr(notify, f"level{n}").webhook for n in levels)]
    commands = [conf.notify_command, *(getattr(notify, f"level{n}").command for n in levels)]
    unique_commands = [c for i, c in enumerate(commands) if c and c not in commands[:i]]
    return list(dict.fromkeys(h for h in hooks if h)), unique_commands


def deliver(body: str, hooks: list[str], commands: list[list[str]], timeout_s: float) -> list[dict[str, Any]]:
    done = [_guarded("notify-webhook", lambda url=url: notify_webhook(url, body, timeout_s)) for url in hooks]
    return done + [_guarded("notify-command", lambda argv=argv: notify_command(argv, body, timeout_s))
                   for argv in commands]


def announce_watch(cfg: LoadedConfig, start: float) -> list[dict[str, Any]]:
    """Tell every route that the deployment is live and watched (the support team's notice); the
    delivery records (ok or why not). Nothing configured: nothing sent, an empty list."""
    t = cfg.model.target
    body = {"format": "nestgate-watch-started/1", "source": "nestgate watch", "ts": start,
            "time": dt.datetime.fromtimestamp(start, dt.UTC).isoformat(timespec="seconds"),
            "target": {"name": t.name, "stack": t.stack, "base_url": t.base_url},
            "message": f"{t.name}: deployment live; nestgate watch started (Level 1-3 escalation active)"}
    hooks, commands = routes(cfg, (1, 2, 3))
    return deliver(REDACTOR.scrub(json.dumps(REDACTOR.scrub_any(body), sort_keys=True)), hooks, commands,
                   cfg.model.watch.actions.notify_timeout_s)


# -- all of them ---------------------------------------------------------------------------------
def run_actions(event: Event, cfg: LoadedConfig, engine: Engine | None = None,
                previous_rollback: float | None = None) -> list[dict[str, Any]]:
    """The opt-in actions for one new event, in order: capture, restart (Level 1), incident bundle,
    rollback (Level 3), notify. Their records. `previous_rollback`: when a Level 3 rollback last ran."""
    conf = cfg.model.watch.actions
    done: list[dict[str, Any]] = []
    needs_engine = event.level == 1 and (conf.capture_logs or (conf.restart_service and event.trigger in RESTARTABLE))
    eng = engine if engine is not None or not needs_engine else Engine.for_target(cfg.model.target)
    if event.level == 1 and conf.capture_logs and eng is not None:
        done.append(_guarded("capture-logs", lambda: capture_logs(event, cfg, eng)))
    if event.level == 1 and conf.restart_service and event.trigger in RESTARTABLE and eng is not None:
        done.append(_guarded(RESTART_ACTION, lambda: restart(event, eng)))
    if event.level == 3 and conf.incident_bundle:
        done.append(_guarded("incident-bundle", lambda: incident_bundle(event, cfg)))
    if event.level == 3 and conf.rollback_command:
        done.append(_guarded("rollback", lambda: rollback(cfg, previous_rollback, time.time())))
    hooks, commands = routes(cfg, (event.level,))
    if hooks or commands:
        done += deliver(payload(event, cfg, list(done)), hooks, commands, conf.notify_timeout_s)
    return done
