"""SEC-01 rules: whether each report is current scan evidence (read, dated by its own readable time,
not too old, not dated in the future, and it scanned something), whether every image of the compose
model was scanned by some current report, which findings block the gate, and which waivers waive them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from nestgate.probes.readers.scan_reports import ORDER
from nestgate.probes.readers.scan_reports import Finding as ScanFinding
from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.scan_files import ReportFacts

# A report dated this far ahead of the clock is not trusted as "fresh".
FUTURE_TOLERANCE_H = 1.0
STALE = "no current scan evidence"
SCANNED_NOTHING = "scanned nothing"
UNSCANNED = "image not scanned"
# Where each format says what it scanned (nestgate.probes.readers.scan_reports).
TARGET_FIELDS = {"trivy": "no Results[].Target", "grype": "no source.target",
                 "sarif": "no run names an image, artifact or result location"}


class WaiverEntry(Protocol):
    """A waiver as the run's waiver file gives it (nestgate.gate.waivers.Waiver)."""

    @property
    def id(self) -> str: ...
    @property
    def owner(self) -> str: ...
    @property
    def justification(self) -> str: ...
    @property
    def expires(self) -> dt.date: ...
    @property
    def line(self) -> int: ...
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


# -- images: which the compose model runs, and whether a report names the same one ----------------
@dataclass(frozen=True)
class ImageRef:
    repo: str  # registry/path, Docker Hub spelled out: docker.io/library/nginx
    tag: str  # "" when only a digest pins it
    digest: str  # sha256:... of the manifest, or ""
    image_id: str = ""  # a bare image ID (sha256:<hex> or hex), when that is all the reference is


_HUB = {"docker.io", "index.docker.io", "registry-1.docker.io"}
_IMAGE_ID = re.compile(r"(?:sha256:)?([0-9a-f]{12,64})")


def image_ref(raw: str) -> ImageRef:
    """Normalise an image reference as Docker reads it: implicit docker.io/library/ and :latest."""
    text = raw.strip().lower()
    if m := _IMAGE_ID.fullmatch(text):
        return ImageRef("", "", "", m.group(1))
    name, _, digest = text.partition("@")
    tag = ""
    if ":" in name.rsplit("/", 1)[-1]:
        name, tag = name.rsplit(":", 1)
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        registry, path = parts[0], parts[1:]
    else:
        registry, path = "docker.io", parts
    if registry in _HUB:
        registry = "docker.io"
        path = ["library", *path] if len(path) == 1 else path
    return ImageRef(f"{registry}/{'/'.join(path)}", tag or ("" if digest else "latest"), digest)


def same_image(model: str, scanned: str) -> bool:
    """The scanned reference names the model's image: same digest when both pin one, else same
    repository and tag (a digest-only model image needs a scanned digest; IDs match by prefix)."""
    m, s = image_ref(model), image_ref(scanned)
    if m.image_id or s.image_id:
        short = min(len(m.image_id), len(s.image_id))
        return bool(m.image_id and s.image_id) and m.image_id[:short] == s.image_id[:short]
    if m.digest and s.digest:
        return m.digest == s.digest
    return bool(m.tag) and (m.repo, m.tag) == (s.repo, s.tag)


def model_images(services: Mapping[str, Mapping[str, Any]], project: str) -> dict[str, list[str]]:
    """Image -> the services that run it: `image:`, else (a service Compose builds) Compose v2's
    default name for the built image, <project>-<service>."""
    out: dict[str, list[str]] = {}
    for name, spec in sorted(services.items()):
        image = str(spec.get("image") or "") or (f"{project}-{name}" if "build" in spec else "")
        if image:  # Compose rejects a service with neither
            out.setdefault(image, []).append(name)
    return out


# -- is each report current evidence of a scan ------------------------------------------------
def freshness_findings(report: ScannedReport, now: dt.datetime) -> list[Finding]:
    """The report was read and its own time (never the file's mtime) is readable, within its max
    age and not ahead of the clock."""
    facts = report.facts
    if facts.problem or facts.result is None:
        return [Finding(STALE, "report", facts.problem or "unreadable", f"a readable {report.format} report",
                        says=f"{report.label} {facts.problem or 'unreadable'}")]
    result = facts.result
    age = facts.age_hours(now)
    if age is None:
        why = (f"has no time ({result.time_field} missing)" if result.time_raw is None
               else f"has a time that cannot be read: {result.time_field} is {result.time_raw!r}")
        return [Finding(STALE, "report time", result.time_raw, f"a readable timestamp in {result.time_field}",
                        says=f"{report.label} {why}; the file's mtime is no evidence of when the scan ran")]
    if age > report.max_age_hours:
        return [Finding(STALE, "age_hours", round(age, 1), f"<= {report.max_age_hours:g}",
                        says=f"{report.label} is {age:.1f} h old (its {result.time_field}), "
                             f"max {report.max_age_hours:g} h")]
    if age < -FUTURE_TOLERANCE_H:
        return [Finding(STALE, "age_hours", round(age, 1), f">= -{FUTURE_TOLERANCE_H:g}",
                        says=f"{report.label} is dated {-age:.1f} h in the future")]
    return []


def scanned_nothing_findings(report: ScannedReport) -> list[Finding]:
    """A readable report that lists no scanned target proves no scan: "no findings" needs a target."""
    result = report.facts.result
    if result is None or result.targets:
        return []
    hint = TARGET_FIELDS.get(report.format, "no target")
    named = f"; it names {', '.join(result.images)} but lists nothing analysed in it" if result.images else ""
    return [Finding(SCANNED_NOTHING, "scanned targets", [], "at least 1",
                    says=f"{report.label} lists no scanned target ({hint}{named})")]


def is_current(report: ScannedReport, now: dt.datetime) -> bool:
    return not freshness_findings(report, now) and not scanned_nothing_findings(report)


def coverage(images: Mapping[str, Sequence[str]], reports: Sequence[ScannedReport],
             now: dt.datetime) -> dict[str, dict[str, Any]]:
    """Per model image: its services, the current reports that scanned it, and the reports that
    name it but are not current evidence."""
    out: dict[str, dict[str, Any]] = {}
    for image, services in images.items():
        named = [r for r in reports if r.facts.result is not None
                 and any(same_image(image, s) for s in r.facts.result.images)]
        out[image] = {"services": list(services), "scanned_in": [r.path for r in named if is_current(r, now)],
                      "named_only_by": [r.path for r in named if not is_current(r, now)]}
    return out


def coverage_findings(covered: Mapping[str, Mapping[str, Any]]) -> list[Finding]:
    """Every image the compose model runs or builds is scanned by some current report."""
    out = []
    for image, where in covered.items():
        if where["scanned_in"]:
            continue
        also = (f" (named only by {', '.join(where['named_only_by'])}, which is not current scan evidence)"
                if where["named_only_by"] else "")
        out.append(Finding(UNSCANNED, f"image {image}", [], "scanned by a current report",
                           says=f"{image} (service {', '.join(where['services'])}) is in no current scan "
                                f"report{also}"))
    return out


# -- which findings block, which waivers waive them -------------------------------------------
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


def waived_in(report: ScannedReport, severities: list[str], waivers: Sequence[WaiverEntry],
              today: dt.date) -> list[tuple[ScanFinding, WaiverEntry]]:
    """The blocking findings of a readable report that a waiver waived, with that waiver."""
    result = report.facts.result
    return [] if result is None else triage(result.findings, severities, waivers, today).waived


def no_reports_findings(configured: Sequence[object]) -> list[Finding]:
    """No report configured is no scan evidence, never a pass."""
    if configured:
        return []
    return [Finding("no scan evidence", "scanner reports configured", 0, "at least 1",
                    says="no scanner report configured (security.scan.reports is empty)")]


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


def report_record(report: ScannedReport, severities: list[str], waivers: Sequence[WaiverEntry],
                  now: dt.datetime, today: dt.date) -> dict[str, Any]:
    """What the evidence shows of one report: scanner, time, what it scanned, counts, open and waived findings."""
    facts = report.facts
    if facts.problem or facts.result is None:
        return {"problem": facts.problem}
    result = facts.result
    age = facts.age_hours(now)
    t = triage(result.findings, severities, waivers, today)
    return {
        "scanner": result.scanner, "created": facts.created.isoformat() if facts.created else None,
        "time_field": result.time_field, **({} if facts.created else {"time_raw": result.time_raw}),
        "age_hours": round(age, 2) if age is not None else None,
        "scanned_targets": result.targets, "images": result.images,
        "counts_by_severity": result.counts(),
        "blocking": [b.describe() for b in t.open],
        "waived": [f"{b.describe()} by {w.owner} until {w.expires}" for b, w in t.waived],
        "expired_waivers": t.expired,
    }


def scan_findings(reports: Sequence[ScannedReport], covered: Mapping[str, Mapping[str, Any]], severities: list[str],
                  waivers: Sequence[WaiverEntry], now: dt.datetime, today: dt.date) -> list[Finding]:
    """Every report's findings: first what is not current scan evidence, then the images no current
    report scanned, then what blocks."""
    return ([f for r in reports for f in freshness_findings(r, now)]
            + [f for r in reports for f in scanned_nothing_findings(r)]
            + coverage_findings(covered)
            + [f for r in reports for f in blocking_findings(r, severities, waivers, today)])
