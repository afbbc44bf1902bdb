"""The twelve boxes of the Final Validation, judged from gathered evidence only (pure).

A box is ✅ only when evidence proves it, and says which; otherwise ✗ with the reason. A waived
control is not proof: a waiver lets a gate pass, it does not show the thing works.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from nestgate.completion.evidence import Evidence, GateBundle
from nestgate.watch.level3 import SECURITY_BREACH
from nestgate.watch.triggers import SECURITY_ALERT


@dataclass(frozen=True)
class Box:
    box: str  # a short name (not "key": values under secret-like keys are masked in records)
    line: str  # the procedure's words
    ok: bool
    proof: str  # the evidence that proves it (✅), or the reason it is not proven (✗)


def _records(bundle: GateBundle, control: str) -> list[dict[str, Any]]:
    return [r for r in bundle.evidence.get("controls", []) if r.get("control_id") == control]


def control_passed(ev: Evidence, control: str) -> tuple[bool, str]:
    """The newest verified bundle that ran `control` decides: every one of its tests there passed."""
    ran = [b for b in ev.bundles if _records(b, control)]
    if not ran:
        return False, f"no verified gate bundle ran {control}"
    bundle = ran[-1]
    records = _records(bundle, control)
    bad = [r for r in records if r.get("outcome") != "passed"]
    if bad:
        first = bad[0]
        return False, (f"{control} {first.get('outcome')} in {bundle.path} ({len(bad)} of {len(records)} tests): "
                       f"{str(first.get('message', ''))[:160]}")
    return True, f"{control} passed ({len(records)} tests) in {bundle.path}"


def _controls(ev: Evidence, controls: list[str]) -> tuple[bool, str]:
    results = [control_passed(ev, c) for c in controls]
    failed = [why for ok, why in results if not ok]
    return (not failed, "; ".join(failed) if failed else "; ".join(why for _, why in results))


def services_healthy(ev: Evidence) -> Box:
    wanted = list(ev.config.model.target.services)
    line = f"All services running and healthy ({len(wanted)}/{len(wanted)})"
    ok, why = _controls(ev, ["INF-06", "INF-04"])
    if not ok:
        return Box("services", line, False, why)
    ran = [b for b in ev.bundles if _records(b, "INF-06")][-1]
    judged = [s for s in wanted if any(f"[{s}]" in str(r.get("nodeid", "")) for r in _records(ran, "INF-06"))]
    if len(judged) < len(wanted):  # INF-06 takes one subject per service: each must be among them
        missing = [s for s in wanted if s not in judged]
        return Box("services", line, False, f"INF-06 in {ran.path} did not judge {', '.join(missing)}")
    return Box("services", f"All services running and healthy ({len(judged)}/{len(wanted)})", True, why)


def security_monitoring(ev: Evidence) -> Box:
    line = "Security monitoring active and clear"
    ok, why = control_passed(ev, "SEC-07")
    if not ok:
        return Box("security-monitoring", line, False, why)
    if ev.watch is None or ev.watch.last_ts is None:
        why = ev.watch_problem or "empty history"
        return Box("security-monitoring", line, False, f"SEC-07 passed, but no watch samples: {why}")
    alerts = [e for e in ev.watch.events if e.trigger in (SECURITY_ALERT, SECURITY_BREACH)]
    if alerts:
        return Box("security-monitoring", line, False, f"not clear: {len(alerts)} security event(s) in the watch "
                   f"history, first {alerts[0].trigger} on {alerts[0].subject}")
    return Box("security-monitoring", line, True, f"{why}; no security alert in {ev.watch.path}")


def in_watch_after_deploy(ev: Evidence) -> tuple[bool, str]:
    """The watch sampled after the newest deploy finished (monitoring of this release, not an old one)."""
    if ev.watch is None or ev.watch.last_ts is None:
        return False, f"no watch samples: {ev.watch_problem or 'empty history'}"
    finished = [d.record.get("finished") for d in ev.deploys if d.record.get("finished")]
    if finished:
        done = dt.datetime.fromisoformat(str(max(finished))).timestamp()
        if ev.watch.last_ts < done:
            return False, f"the watch history {ev.watch.path} has no sample after the deploy finished ({max(finished)})"
        return True, f"watch samples after the deploy finished ({max(finished)}) in {ev.watch.path}"
    return True, f"watch samples in {ev.watch.path}"


def monitoring_configured(ev: Evidence) -> Box:
    line = "Monitoring and alerting configured"
    w = ev.config.model.watch
    routes = [w.actions.notify_webhook, *w.actions.notify_command[:1],
              *(getattr(w.notify, f"level{n}").webhook for n in (1, 2, 3)),
              *(getattr(w.notify, f"level{n}").command[:1] for n in (1, 2, 3))]
    if not any(routes):
        return Box("monitoring", line, False, "no notification route in [watch.actions] or [watch.notify]: "
                   "alerts would reach no one")
    ok, why = in_watch_after_deploy(ev)
    if not ok:
        return Box("monitoring", line, False, why)
    assert ev.watch is not None
    missing = [e for e in w.endpoints if e not in ev.watch.endpoints]
    if missing:
        return Box("monitoring", line, False, f"endpoint(s) never sampled: {', '.join(missing)}")
    return Box("monitoring", line, True, f"{why} for every endpoint; notification routes configured")


def support_notified(ev: Evidence) -> Box:
    line = "Support team notified and ready"
    if ev.watch is None:
        return Box("support", line, False, f"no watch history: {ev.watch_problem}")
    delivered = [a for a in ev.watch.announced if a.get("ok")]
    delivered += [a for e in ev.watch.events for a in e.actions
                  if str(a.get("action", "")).startswith("notify-") and a.get("ok")]
    if not delivered:
        tried = len(ev.watch.announced)
        return Box("support", line, False, "no delivered notification in the watch history" +
                   (f" ({tried} attempt(s) failed)" if tried else " (no route configured when the watch started)"))
    first = delivered[0]
    return Box("support", line, True, f"{first.get('action')} to {first.get('to')} delivered ({first.get('message')})")


def deployment_notes(ev: Evidence) -> Box:
    line = "Documentation updated with deployment notes"
    noted = [d for d in ev.deploys if d.notes is not None]
    if not noted:
        return Box("notes", line, False, "no verified deploy folder holds notes (nestgate deploy --notes FILE)")
    return Box("notes", line, True, f"{noted[-1].notes} (hashed in its deploy folder's manifest)")


def baseline(ev: Evidence) -> Box:
    line = "Success metrics baseline established"
    if ev.watch is None:
        return Box("baseline", line, False, f"no watch history: {ev.watch_problem}")
    missing = [e for e in ev.config.model.watch.endpoints if e not in ev.watch.baseline]
    if missing:
        return Box("baseline", line, False, f"no response-time baseline yet for {', '.join(missing)}")
    return Box("baseline", line, True, f"response-time baselines for every endpoint in {ev.watch.path}")


def incident_response(ev: Evidence) -> Box:
    line = "Incident response procedures activated"
    a, n = ev.config.model.watch.actions, ev.config.model.watch.notify
    if not (a.rollback_command or a.incident_bundle or n.level3.webhook or n.level3.command):
        return Box("incident-response", line, False, "no Level 3 response configured ([watch.actions] "
                   "rollback_command / incident_bundle or a [watch.notify] level3 route)")
    ok, why = in_watch_after_deploy(ev)
    return Box("incident-response", line, ok, f"{why}; Level 3 response configured" if ok else why)


def rollback_ready(ev: Evidence) -> Box:
    line = "Rollback procedures tested and ready"
    drills = [d for d in ev.deploys if d.rollback and d.rollback.get("kind") == "drill"]
    if drills and drills[-1].rollback and drills[-1].rollback.get("passed"):
        r = drills[-1].rollback
        return Box("rollback", line, True, f"rollback drill in {drills[-1].path}: {r.get('measured', {})}")
    ok, why = control_passed(ev, "INF-08")
    return Box("rollback", line, ok, why)


def judge(ev: Evidence) -> list[Box]:
    def by_control(name: str, line: str, controls: list[str]) -> Box:
        ok, why = _controls(ev, controls)
        return Box(name, line, ok, why)

    return [
        services_healthy(ev),
        security_monitoring(ev),
        by_control("performance", "Performance metrics within acceptable ranges",
                   ["PRF-01", "PRF-02", "PRF-03", "PRF-04", "PRF-05", "PRF-06"]),
        by_control("authentication", "Authentication system fully functional", ["SEC-03"]),
        by_control("database", "Database connectivity confirmed", ["INF-03"]),
        by_control("backup", "Backup procedures tested and validated", ["INF-05"]),
        rollback_ready(ev),
        monitoring_configured(ev),
        support_notified(ev),
        deployment_notes(ev),
        baseline(ev),
        incident_response(ev),
    ]
