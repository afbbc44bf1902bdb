"""What a fired trigger does, each action opt-in through [watch.actions]:

    capture-logs  Level 1: the service's logs and inspect, redacted, into
                  <evidence_dir>/incidents/<ts>-<trigger>-<subject>/ with a SHA-256 manifest (capture_logs);
                  taken before a restart, so it shows the failing state
    restart       Level 1 service-down / memory-high: `docker service update --force` (restart_service)
    notify        Level 1 and 2: the event as JSON to notify_webhook (POST) and/or notify_command (stdin)

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
    logs = "".join(f"{dt.datetime.fromtimestamp(line.timestamp, dt.UTC).isoformat()} {line.container} {line.text}\n"
                   for line in diag.logs)
    files = {
        "event.json": json.dumps(_event_json(event), indent=2, default=str),
        "logs.txt": logs,
        "inspect.json": json.dumps({"service": diag.service_inspect, "containers": diag.containers},
                                   indent=2, default=str),
    }
    for name, text in files.items():
        (folder / name).write_text(REDACTOR.scrub(text), encoding="utf-8")
    write_tree_manifest(folder, CAPTURE_FORMAT, service=event.subject, logs_since=since,
                        log_lines=len(diag.logs), containers=len(diag.containers),
                        errors=[REDACTOR.scrub(e) for e in diag.errors])
    # Partial evidence is still written, but the record says it is partial.
    ok = not diag.errors and (diag.service_inspect is not None or engine.orchestrator != "swarm")
    return {"service": event.subject, "ok": ok, "path": str(folder), "log_lines": len(diag.logs),
            "containers": len(diag.containers), **({"errors": diag.errors} if diag.errors else {})}


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


# -- all of them ---------------------------------------------------------------------------------
def run_actions(event: Event, cfg: LoadedConfig, engine: Engine | None = None) -> list[dict[str, Any]]:
    """The opt-in actions for one new event, in order: capture, restart, notify. Their records."""
    conf = cfg.model.watch.actions
    done: list[dict[str, Any]] = []
    needs_engine = event.level == 1 and (conf.capture_logs or (conf.restart_service and event.trigger in RESTARTABLE))
    eng = engine if engine is not None or not needs_engine else Engine.for_target(cfg.model.target)
    if event.level == 1 and conf.capture_logs and eng is not None:
        done.append(_guarded("capture-logs", lambda: capture_logs(event, cfg, eng)))
    if event.level == 1 and conf.restart_service and event.trigger in RESTARTABLE and eng is not None:
        done.append(_guarded(RESTART_ACTION, lambda: restart(event, eng)))
    if conf.notify_webhook or conf.notify_command:
        body = payload(event, cfg, list(done))
        if conf.notify_webhook:
            done.append(_guarded("notify-webhook",
                                 lambda: notify_webhook(conf.notify_webhook, body, conf.notify_timeout_s)))
        if conf.notify_command:
            done.append(_guarded("notify-command",
                                 lambda: notify_command(conf.notify_command, body, conf.notify_timeout_s)))
    return done
