"""SEC-01 rules: which findings of a scanner report block the gate, which waivers waive them, and
whether each report is current scan evidence (read, not too old, not dated in the future).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from nestgate.probes.readers.scan_reports import ORDER
from nestgate.probes.readers.scan_reports import Finding as ScanFinding
from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.scan_files import ReportFacts

# A report dated this far ahead of the clock is not trusted as "fresh".
FUTURE_TOLERANCE_H = 1.0


class WaiverEntry(Protocol):
    """A waiver as the waiver file gives it (nestgate.gate.waivers.Waiver)."""

    @property
    def id(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def expires(self) -> dt.date: ...
    def active_on(self, day: dt.date) -> bool: ...


@dataclass(frozen=True)
class ScannedReport:
    """One configured report and what reading it gave."""

    format: str
    path: str
    max_age_hours: float
    facts: ReportFacts

    @property
    def label(self) -> str:
        return f"{self.format} report {self.path}"


@dataclass(frozen=True)
class Triage:
    """A report's blocking findings: the open ones, the waived ones (with their waiver), and the IDs
    of the expired waivers that name one of them."""

    open: list[ScanFinding]
    waived: list[tuple[ScanFinding, WaiverEntry]]
    expired: list[str]


def blocking(findings: list[ScanFinding], severities: list[str]) -> list[ScanFinding]:
    """Findings at a blocking severity, one per (ID, package, installed version), worst first."""
    seen: dict[tuple[str, str, str], ScanFinding] = {}
    for f in findings:
        if f.severity in severities:
            seen.setdefault((f.id, f.package, f.installed), f)
    return sorted(seen.values(), key=lambda f: (ORDER.index(f.severity), f.id, f.package))


def triage(findings: list[ScanFinding], severities: list[str], waivers: Sequence[WaiverEntry],
           today: dt.date) -> Triage:
    """Each blocking finding is waived by an unexpired waiver of its ID, else open; an expired
    waiver waives nothing."""
    blockers = blocking(findings, severities)
    ids = {b.id for b in blockers}
    active = {b.id: next((w for w in waivers if w.id == b.id and w.active_on(today)), None) for b in blockers}
    return Triage(open=[b for b in blockers if active[b.id] is None],
                  waived=[(b, w) for b in blockers if (w := active[b.id]) is not None],
                  expired=sorted({w.id for w in waivers if w.id in ids and not w.active_on(today)}))


def no_reports_findings(configured: Sequence[object]) -> list[Finding]:
    """No report configured is no scan evidence, never a pass."""
    if configured:
        return []
    return [Finding("no scan evidence", "scanner reports configured", 0, "at least 1",
                    says="no scanner report configured (security.scan.reports is empty)")]


def report_record(report: ScannedReport, severities: list[str], waivers: Sequence[WaiverEntry],
                  now: dt.datetime, today: dt.date) -> dict[str, Any]:
    """What the evidence shows of one report: its scanner, time, counts, open and waived findings."""
    facts = report.facts
    if facts.problem or facts.result is None:
        return {"problem": facts.problem}
    age = facts.age_hours(now)
    t = triage(facts.result.findings, severities, waivers, today)
    return {
        "scanner": facts.result.scanner, "created": facts.created.isoformat() if facts.created else None,
        "created_from": facts.created_from, "age_hours": round(age, 2) if age is not None else None,
        "counts_by_severity": facts.result.counts(),
        "blocking": [b.describe() for b in t.open],
        "waived": [f"{b.describe()} by {w.owner} until {w.expires}" for b, w in t.waived],
        "expired_waivers": t.expired,
    }


STALE = "no current scan evidence"


def freshness_findings(report: ScannedReport, now: dt.datetime) -> list[Finding]:
    """The report was read, and its time (its own, else the file's mtime) is within its max age and
    not ahead of the clock."""
    facts = report.facts
    if facts.problem or facts.result is None:
        return [Finding(STALE, "report", facts.problem or "unreadable", f"a readable {report.format} report",
                        says=f"{report.label} {facts.problem or 'unreadable'}")]
    age = facts.age_hours(now)
    if age is not None and age > report.max_age_hours:
        return [Finding(STALE, "age_hours", round(age, 1), f"<= {report.max_age_hours:g}",
                        says=f"{report.label} is {age:.1f} h old (timestamp from the {facts.created_from}), "
                             f"max {report.max_age_hours:g} h")]
    if age is not None and age < -FUTURE_TOLERANCE_H:
        return [Finding(STALE, "age_hours", round(age, 1), f">= -{FUTURE_TOLERANCE_H:g}",
                        says=f"{report.label} is dated {-age:.1f} h in the future")]
    return []


def blocking_findings(report: ScannedReport, severities: list[str], waivers: Sequence[WaiverEntry],
                      today: dt.date) -> list[Finding]:
    """Blocking findings of a readable report that no unexpired waiver waives."""
    facts = report.facts
    if facts.problem or facts.result is None:
        return []
    t = triage(facts.result.findings, severities, waivers, today)
    if not t.open:
        return []
    note = f"; expired waivers: {', '.join(t.expired)}" if t.expired else ""
    described = [b.describe() for b in t.open]
    return [Finding(f"P0/P1 vulnerabilities (blocking: {', '.join(severities)}) in {report.path}",
                    "blocking findings without waiver", described, "none without an unexpired waiver",
                    says=f"{len(described)} blocking finding(s) without waiver: {'; '.join(described)}{note}")]


def scan_findings(reports: Sequence[ScannedReport], severities: list[str], waivers: Sequence[WaiverEntry],
                  now: dt.datetime, today: dt.date) -> list[Finding]:
    """Every report's findings: first what is not current scan evidence, then what blocks."""
    return ([f for r in reports for f in freshness_findings(r, now)]
            + [f for r in reports for f in blocking_findings(r, severities, waivers, today)])
