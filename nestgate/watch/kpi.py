"""The procedure's success metrics over the watch history (pure: History in, KpiReport out).

KPIs, each judged met / not met / no data ("no data" is not met: fail closed, and says why):
    availability     per endpoint: % of http.ok samples == 1, at least kpi.availability_percent
    response time    per endpoint: p95 of 2xx answers under kpi.response_time_s; failed requests (no answer:
                     -1, or non-2xx: http.ok 0 at the same time) are left out of the percentiles but count
                     against availability and the error rate
    error rate       all endpoints: failed requests / all requests, under kpi.error_rate_percent (0 % always meets)
    recovery time    every rollback drill of `nestgate deploy` in the period and every service-down event's
                     time to restoration (next service.up == 1 sample), each under kpi.rollback_s
    data consistency share of the integrity checks (INF-09 tests of the controls rounds) that passed: 100 %

Shown, not judged: log error lines per minute and memory use per service.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from nestgate.config.watch import Kpi as KpiTargets
from nestgate.probes.readers.timestamps import parse_time
from nestgate.rules.prf05_response_time import nearest_rank
from nestgate.watch.history import History, Result, Sample

MET, NOT_MET, NO_DATA = "met", "not met", "no data"
INTEGRITY_CONTROL = "INF-09"  # the procedure's "100% data consistency, measured by database integrity checks"
PERCENTILES = (50.0, 95.0, 99.0)


@dataclass(frozen=True)
class KpiRow:
    kpi: str  # availability | response time p95 | error rate | recovery time | data consistency
    subject: str  # endpoint, "all endpoints", service or deploy drill
    measured: str  # for a person: "99.95 %", "0.41 s", "-"
    target: str  # "≥ 99.9 %", "< 2 s"
    verdict: str  # MET | NOT_MET | NO_DATA
    detail: str  # the counts behind the number, or why there is none
    value: float | None = None


@dataclass(frozen=True)
class Latency:
    endpoint: str
    requests: int
    answered: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


@dataclass(frozen=True)
class ServiceStats:
    """A shown (not judged) signal of one service: mean and peak over the period."""

    service: str
    samples: int
    mean: float | None
    peak: float | None


@dataclass
class KpiReport:
    since: float
    until: float
    rows: list[KpiRow] = field(default_factory=list)
    latency: list[Latency] = field(default_factory=list)
    memory: list[ServiceStats] = field(default_factory=list)  # memory.percent
    errors_per_minute: list[ServiceStats] = field(default_factory=list)  # log.errors as lines/min

    @property
    def all_met(self) -> bool:
        return bool(self.rows) and all(r.verdict == MET for r in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {"since": self.since, "until": self.until, "all_met": self.all_met,
                "rows": [vars(r) for r in self.rows], "latency": [vars(x) for x in self.latency],
                "memory_percent": [vars(x) for x in self.memory],
                "log_errors_per_minute": [vars(x) for x in self.errors_per_minute]}


def _by_subject(samples: Iterable[Sample]) -> dict[str, list[Sample]]:
    out: dict[str, list[Sample]] = {}
    for s in samples:
        out.setdefault(s.subject, []).append(s)
    return out


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def availability(endpoint: str, ok: list[Sample], target: float) -> KpiRow:
    goal = f"≥ {_fmt(target)} %"
    if not ok:
        return KpiRow("availability", endpoint, "-", goal, NO_DATA, "no http.ok samples in the period")
    up = sum(1 for s in ok if s.value >= 1.0)
    percent = 100.0 * up / len(ok)
    verdict = MET if percent >= target else NOT_MET
    return KpiRow("availability", endpoint, f"{_fmt(percent)} %", goal, verdict,
                  f"{up} of {len(ok)} requests answered 2xx", percent)


def latency(endpoint: str, response: list[Sample], ok: list[Sample]) -> Latency:
    """Percentiles of 2xx answers only: no answer is -1, and a fast 502 (the http.ok sample taken at
    the same time is 0) is not a response time the procedure's target is about."""
    failed_at = {s.ts for s in ok if s.value < 1.0}
    answered = [s.value for s in response if s.value >= 0 and s.ts not in failed_at]
    if not answered:
        return Latency(endpoint, len(response), 0, None, None, None, None)
    p50, p95, p99 = (nearest_rank(answered, p) for p in PERCENTILES)
    return Latency(endpoint, len(response), len(answered), p50, p95, p99, max(answered))


def response_time(lat: Latency, limit_s: float) -> KpiRow:
    goal = f"< {_fmt(limit_s)} s"
    if lat.p95 is None:
        why = "no http.response_s samples in the period" if not lat.requests else (
            f"none of {lat.requests} requests was answered 2xx")
        return KpiRow("response time p95", lat.endpoint, "-", goal, NO_DATA, why)
    verdict = MET if lat.p95 < limit_s else NOT_MET
    return KpiRow("response time p95", lat.endpoint, f"{_fmt(lat.p95)} s", goal, verdict,
                  f"p50 {_fmt(lat.p50 or 0)} s, p99 {_fmt(lat.p99 or 0)} s, max {_fmt(lat.max or 0)} s "
                  f"over {lat.answered} answered 2xx of {lat.requests} requests", lat.p95)


def error_rate(ok_by_endpoint: dict[str, list[Sample]], limit: float) -> KpiRow:
    goal = f"< {_fmt(limit)} %"
    total = sum(len(v) for v in ok_by_endpoint.values())
    if not total:
        return KpiRow("error rate", "all endpoints", "-", goal, NO_DATA, "no http.ok samples in the period")
    failed = {e: sum(1 for s in v if s.value < 1.0) for e, v in ok_by_endpoint.items()}
    percent = 100.0 * sum(failed.values()) / total
    verdict = MET if percent < limit or percent == 0.0 else NOT_MET
    per = ", ".join(f"{e} {failed[e]}/{len(v)}" for e, v in sorted(ok_by_endpoint.items()))
    return KpiRow("error rate", "all endpoints", f"{_fmt(percent)} %", goal, verdict,
                  f"{sum(failed.values())} of {total} requests failed ({per})", percent)


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _drill_time(drill: dict[str, Any]) -> float | None:
    stamp = parse_time(drill.get("timestamp"))
    return stamp.timestamp() if stamp else None


def drill_rows(drills: list[dict[str, Any]], limit_s: float, since: float, until: float) -> list[KpiRow]:
    """One row per rollback drill (INF-08 evidence of `nestgate deploy`) started in the period."""
    rows = []
    goal = f"< {_fmt(limit_s)} s"
    for drill in drills:
        at = _drill_time(drill)
        if at is None or not since <= at <= until:
            continue
        measured = drill.get("measured") or {}
        seconds = measured.get("rollback_s")
        where = str(measured.get("deploy_folder") or drill.get("timestamp"))
        if not isinstance(seconds, (int, float)):
            rows.append(KpiRow("recovery time", f"rollback drill {where}", "-", goal, NO_DATA,
                               "rollback.json has no measured rollback_s"))
            continue
        restored = bool(measured.get("restored"))
        verdict = MET if restored and seconds < limit_s else NOT_MET
        why = "restored" if restored else "the stack was NOT restored"
        rows.append(KpiRow("recovery time", f"rollback drill {where}", f"{_fmt(seconds)} s", goal, verdict,
                           f"nestgate deploy rollback at {drill.get('timestamp')}: {why}", float(seconds)))
    return rows


def restoration_rows(history: History, limit_s: float, since: float, until: float) -> list[KpiRow]:
    """Time from each service-down event to the next sample with that service up again."""
    rows = []
    goal = f"< {_fmt(limit_s)} s"
    for event in history.events(since=since, trigger="service-down"):
        if event.ts > until:
            continue
        later = history.samples("service.up", since=event.ts, until=until, subject=event.subject)
        back = next((s for s in later if s.value >= 1.0), None)
        subject = f"service {event.subject} (down event #{event.id})"
        if back is None:
            last = f"last sample {later[-1].ts - event.ts:.0f} s after the event" if later else "no sample after it"
            rows.append(KpiRow("recovery time", subject, "-", goal, NOT_MET, f"not restored in the period ({last})"))
            continue
        seconds = back.ts - event.ts
        rows.append(KpiRow("recovery time", subject, f"{_fmt(seconds)} s", goal,
                           MET if seconds < limit_s else NOT_MET,
                           f"down event at {_iso(event.ts)}, up again at the sample of {_iso(back.ts)}", seconds))
    return rows


def data_consistency(results: list[Result], until: float) -> KpiRow:
    """Integrity checks passed over all run in the period (each INF-09 test of each round is one check)."""
    goal = "= 100 %"
    subject = f"{INTEGRITY_CONTROL} database integrity checks"
    checks = [r for r in results if r.control == INTEGRITY_CONTROL and r.ts <= until]
    if not checks:
        return KpiRow("data consistency", subject, "-", goal, NO_DATA,
                      f"no {INTEGRITY_CONTROL} result in the period: add {INTEGRITY_CONTROL} to watch.controls")
    failed = [r for r in checks if r.outcome != "passed"]
    percent = 100.0 * (len(checks) - len(failed)) / len(checks)
    detail = f"{len(checks) - len(failed)} of {len(checks)} integrity checks passed"
    if failed:
        last = failed[-1]
        detail += f"; last failure at {_iso(last.ts)}: {last.message.splitlines()[0][:200] if last.message else ''}"
    return KpiRow("data consistency", subject, f"{_fmt(percent)} %", goal, MET if not failed else NOT_MET,
                  detail, percent)


def errors_per_minute(service: str, samples: list[Sample]) -> ServiceStats:
    """Each log.errors sample counts the lines since the one before: rate = count / gap. A failed
    sample (-1) is left out: the next good one counts from the last good one."""
    samples = [s for s in samples if s.value >= 0]
    rates = [b.value * 60.0 / (b.ts - a.ts) for a, b in pairwise(samples) if b.ts > a.ts]
    if not rates:
        return ServiceStats(service, len(samples), None, None)
    span = samples[-1].ts - samples[0].ts
    total = sum(s.value for s in samples[1:])
    return ServiceStats(service, len(samples), total * 60.0 / span, max(rates))


def memory(service: str, samples: list[Sample]) -> ServiceStats:
    values = [s.value for s in samples if s.value >= 0]
    if not values:
        return ServiceStats(service, len(samples), None, None)
    return ServiceStats(service, len(samples), statistics.fmean(values), max(values))


def compute(history: History, targets: KpiTargets, *, since: float, until: float, endpoints: list[str],
            services: list[str], drills: list[dict[str, Any]]) -> KpiReport:
    """Every KPI over [since, until]. Configured endpoints/services without samples are 'no data'."""
    report = KpiReport(since, until)
    ok = _by_subject(history.samples("http.ok", since=since, until=until))
    resp = _by_subject(history.samples("http.response_s", since=since, until=until))
    for endpoint in sorted(set(endpoints) | set(ok) | set(resp)):
        report.rows.append(availability(endpoint, ok.get(endpoint, []), targets.availability_percent))
    for endpoint in sorted(set(endpoints) | set(ok) | set(resp)):
        lat = latency(endpoint, resp.get(endpoint, []), ok.get(endpoint, []))
        report.latency.append(lat)
        report.rows.append(response_time(lat, targets.response_time_s))
    report.rows.append(error_rate({e: ok.get(e, []) for e in sorted(set(endpoints) | set(ok))},
                                  targets.error_rate_percent))
    recovery = drill_rows(drills, targets.rollback_s, since, until)
    recovery += restoration_rows(history, targets.rollback_s, since, until)
    report.rows += recovery or [KpiRow(
        "recovery time", "rollback drills and service-down events", "-", f"< {_fmt(targets.rollback_s)} s",
        NO_DATA, "no rollback drill of `nestgate deploy` and no service-down event in the period: nothing was timed")]
    report.rows.append(data_consistency(history.results(since, control=INTEGRITY_CONTROL), until))
    mem = _by_subject(history.samples("memory.percent", since=since, until=until))
    errs = _by_subject(history.samples("log.errors", since=since, until=until))
    report.memory = [memory(s, mem.get(s, [])) for s in sorted(set(services) | set(mem))]
    report.errors_per_minute = [errors_per_minute(s, errs.get(s, [])) for s in sorted(set(services) | set(errs))]
    return report
