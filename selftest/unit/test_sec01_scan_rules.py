"""SEC-01 rules: freshness (too old, dated in the future, unreadable, no readable time), scanned
nothing, image coverage, blocking findings against waivers (active, expired), the evidence record
per report, and no report configured."""

import datetime as dt
from pathlib import Path

from nestgate.gate.waivers import Waiver
from nestgate.probes.readers.scan_reports import Finding as ScanFinding
from nestgate.probes.readers.scan_reports import ScanResult
from nestgate.probes.scan_files import ReportFacts
from nestgate.rules.findings import message
from nestgate.rules.sec01_scan import (
    ScannedReport,
    blocking_findings,
    coverage,
    coverage_findings,
    freshness_findings,
    no_reports_findings,
    report_record,
    scan_findings,
    scanned_nothing_findings,
    triage,
    waived_in,
)

NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
SEVERITIES = ["CRITICAL", "HIGH"]
CRIT = ScanFinding("GHSA-1", "CRITICAL", "lodash", "4.17.15", "4.17.21")
HIGH = ScanFinding("CVE-2", "HIGH", "libssl3", "3.1.4", "")
LOW = ScanFinding("CVE-3", "LOW", "zlib", "1.0", "")


def _report(path: str = "/r/trivy.json", age_h: float | None = 1.0, findings=(CRIT, HIGH, LOW), fmt: str = "trivy",
            max_age_hours: float = 24.0, targets=("app:1 (debian 12)",), images=("app:1",),
            time_raw: object = "x") -> ScannedReport:
    created = None if age_h is None else NOW - dt.timedelta(hours=age_h)
    result = ScanResult(fmt, list(findings), created, "Trivy", "CreatedAt", time_raw, list(targets), list(images))
    return ScannedReport(fmt, path, max_age_hours, ReportFacts(Path(path), fmt, "", result))


def _broken(path: str, problem: str, fmt: str = "grype") -> ScannedReport:
    return ScannedReport(fmt, path, 24.0, ReportFacts(Path(path), fmt, problem, None))


def _waiver(wid: str, expires: dt.date) -> Waiver:
    return Waiver(wid, "no exploit path", "sec@example.org", expires, 1)


def test_no_report_configured_is_no_scan_evidence():
    [f] = no_reports_findings([])
    assert (f.subject, f.property, f.measured, f.expected) == ("no scan evidence", "scanner reports configured", 0,
                                                               "at least 1")
    assert str(f) == "no scan evidence: no scanner report configured (security.scan.reports is empty)"
    assert no_reports_findings(["/r/trivy.json"]) == []


def test_fresh_reports_have_no_freshness_findings():
    assert freshness_findings(_report(age_h=23.9), NOW) == []
    assert freshness_findings(_report(age_h=-0.9), NOW) == []  # clock skew within the tolerance


def test_an_old_report_is_not_current_evidence():
    [f] = freshness_findings(_report("/r/grype.json", age_h=72, fmt="grype"), NOW)
    assert (f.subject, f.property, f.measured, f.expected) == ("no current scan evidence", "age_hours", 72.0, "<= 24")
    assert f.sentence == "grype report /r/grype.json is 72.0 h old (its CreatedAt), max 24 h"


def test_a_report_time_that_cannot_be_read_fails_naming_the_raw_value():
    [f] = freshness_findings(_report(age_h=None, time_raw="last tuesday"), NOW)
    assert (f.subject, f.property, f.measured, f.expected) == (
        "no current scan evidence", "report time", "last tuesday", "a readable timestamp in CreatedAt")
    assert f.sentence == ("trivy report /r/trivy.json has a time that cannot be read: CreatedAt is 'last tuesday'; "
                          "the file's mtime is no evidence of when the scan ran")
    [missing] = freshness_findings(_report(age_h=None, time_raw=None), NOW)
    assert missing.sentence.startswith("trivy report /r/trivy.json has no time (CreatedAt missing);")


def test_a_report_dated_in_the_future_is_not_trusted():
    [f] = freshness_findings(_report(age_h=-2.5), NOW)
    assert (f.property, f.measured, f.expected) == ("age_hours", -2.5, ">= -1")
    assert f.sentence == "trivy report /r/trivy.json is dated 2.5 h in the future"


def test_a_missing_or_garbage_report_is_named():
    [f] = freshness_findings(_broken("/r/absent.sarif", "missing", "sarif"), NOW)
    assert (f.subject, f.property, f.measured, f.expected) == ("no current scan evidence", "report", "missing",
                                                               "a readable sarif report")
    assert f.sentence == "sarif report /r/absent.sarif missing"
    assert blocking_findings(_broken("/r/absent.sarif", "missing"), SEVERITIES, [], TODAY) == []


def test_blocking_findings_without_waiver_list_id_package_and_versions():
    [f] = blocking_findings(_report(), SEVERITIES, [], TODAY)
    assert f.subject == "P0/P1 vulnerabilities (blocking: CRITICAL, HIGH) in /r/trivy.json"
    assert f.property == "blocking findings without waiver"
    assert f.measured == ["GHSA-1 CRITICAL in lodash 4.17.15 (fixed in 4.17.21)",
                          "CVE-2 HIGH in libssl3 3.1.4 (no fix)"]
    assert f.expected == "none without an unexpired waiver"
    assert f.sentence == ("2 blocking finding(s) without waiver: GHSA-1 CRITICAL in lodash 4.17.15 (fixed in 4.17.21); "
                          "CVE-2 HIGH in libssl3 3.1.4 (no fix)")
    assert blocking_findings(_report(), ["MEDIUM"], [], TODAY) == []


def test_active_waivers_waive_and_expired_ones_do_not():
    waivers = [_waiver("GHSA-1", dt.date(2099, 1, 1)), _waiver("CVE-2", dt.date(2026, 1, 10)),
               _waiver("CVE-9", dt.date(2020, 1, 1))]  # expires today: void today; CVE-9 names no finding
    t = triage([CRIT, HIGH, LOW], SEVERITIES, waivers, TODAY)
    assert (t.open, [b for b, _ in t.waived], t.expired) == ([HIGH], [CRIT], ["CVE-2"])
    [f] = blocking_findings(_report(), SEVERITIES, waivers, TODAY)
    assert f.measured == ["CVE-2 HIGH in libssl3 3.1.4 (no fix)"]
    assert f.sentence == "1 blocking finding(s) without waiver: CVE-2 HIGH in libssl3 3.1.4 (no fix); " \
                         "expired waivers: CVE-2"
    waived = [_waiver("GHSA-1", dt.date(2099, 1, 1)), _waiver("CVE-2", dt.date(2099, 1, 1))]
    assert blocking_findings(_report(), SEVERITIES, waived, TODAY) == []


def test_report_record_shows_counts_open_waived_and_expired():
    waivers = [_waiver("GHSA-1", dt.date(2099, 1, 1)), _waiver("CVE-2", dt.date(2020, 1, 1))]
    record = report_record(_report(age_h=1.234), SEVERITIES, waivers, NOW, TODAY)
    assert record == {
        "scanner": "Trivy", "created": "2026-01-10T10:45:57.600000+00:00", "time_field": "CreatedAt",
        "age_hours": 1.23, "scanned_targets": ["app:1 (debian 12)"], "images": ["app:1"],
        "counts_by_severity": {"CRITICAL": 1, "HIGH": 1, "LOW": 1},
        "blocking": ["CVE-2 HIGH in libssl3 3.1.4 (no fix)"],
        "waived": ["GHSA-1 CRITICAL in lodash 4.17.15 (fixed in 4.17.21) by sec@example.org until 2099-01-01"],
        "expired_waivers": ["CVE-2"],
    }
    assert report_record(_broken("/r/g.json", "is not JSON (x)"), SEVERITIES, [], NOW, TODAY) == {
        "problem": "is not JSON (x)"}


def test_stale_evidence_comes_first_then_what_blocks():
    reports = [_report("/r/a.json", findings=[HIGH]), _report("/r/b.json", age_h=48, findings=[])]
    covered = coverage({"app:1": ["app"]}, reports, NOW)
    found = scan_findings(reports, covered, SEVERITIES, [], NOW, TODAY)
    assert [f.subject for f in found] == ["no current scan evidence",
                                          "P0/P1 vulnerabilities (blocking: CRITICAL, HIGH) in /r/a.json"]
    assert message(found) == ("no current scan evidence: trivy report /r/b.json is 48.0 h old (its CreatedAt), "
                              "max 24 h; P0/P1 vulnerabilities (blocking: CRITICAL, HIGH) in /r/a.json: "
                              "1 blocking finding(s) without waiver: CVE-2 HIGH in libssl3 3.1.4 (no fix)")
    clean = [_report(findings=[LOW])]
    assert scan_findings(clean, coverage({"app:1": ["app"]}, clean, NOW), SEVERITIES, [], NOW, TODAY) == []


def test_all_kinds_in_order_stale_empty_unscanned_blocking():
    reports = [_report("/r/old.json", age_h=48, findings=[]),
               _report("/r/empty.json", targets=(), images=(), findings=()), _report("/r/a.json", findings=[HIGH])]
    covered = coverage({"app:1": ["app"], "db:2": ["postgres", "replica"]}, reports, NOW)
    found = scan_findings(reports, covered, SEVERITIES, [], NOW, TODAY)
    assert [f.subject for f in found] == ["no current scan evidence", "scanned nothing", "image not scanned",
                                          "P0/P1 vulnerabilities (blocking: CRITICAL, HIGH) in /r/a.json"]
    assert str(found[2]) == "image not scanned: db:2 (service postgres, replica) is in no current scan report"


# -- scanned nothing ------------------------------------------------------------------------------
def test_a_report_with_no_scanned_target_scanned_nothing():
    [f] = scanned_nothing_findings(_report(targets=(), images=("app:1",), findings=()))
    assert (f.subject, f.property, f.measured, f.expected) == ("scanned nothing", "scanned targets", [], "at least 1")
    assert f.sentence == ("trivy report /r/trivy.json lists no scanned target (no Results[].Target; it names app:1 "
                          "but lists nothing analysed in it)")
    [g] = scanned_nothing_findings(_report("/r/g.json", fmt="grype", targets=(), images=(), findings=()))
    assert g.sentence == "grype report /r/g.json lists no scanned target (no source.target)"
    assert scanned_nothing_findings(_report(findings=())) == []  # a named target and no findings: a clean scan
    assert scanned_nothing_findings(_broken("/r/x.json", "missing")) == []  # already not current evidence


# -- coverage: every model image in some current report ----------------------------------------------
def test_coverage_names_where_each_image_was_scanned_and_what_is_missing():
    reports = [_report("/r/app.json", images=("docker.io/library/app:1",)),
               _report("/r/old.json", age_h=30, images=("db:2",)),
               _report("/r/nothing.json", targets=(), images=("cache:3",))]
    covered = coverage({"app:1": ["app"], "db:2": ["postgres"], "cache:3": ["redis"], "web:4": ["nginx"]},
                       reports, NOW)
    assert covered == {
        "app:1": {"services": ["app"], "scanned_in": ["/r/app.json"], "named_only_by": []},
        "db:2": {"services": ["postgres"], "scanned_in": [], "named_only_by": ["/r/old.json"]},
        "cache:3": {"services": ["redis"], "scanned_in": [], "named_only_by": ["/r/nothing.json"]},
        "web:4": {"services": ["nginx"], "scanned_in": [], "named_only_by": []},
    }
    found = coverage_findings(covered)
    assert [f.property for f in found] == ["image db:2", "image cache:3", "image web:4"]
    assert found[0].sentence == ("db:2 (service postgres) is in no current scan report (named only by /r/old.json, "
                                 "which is not current scan evidence)")
    assert found[2].sentence == "web:4 (service nginx) is in no current scan report"


def test_waived_in_pairs_each_waived_finding_with_its_waiver():
    w = _waiver("GHSA-1", dt.date(2099, 1, 1))
    assert waived_in(_report(), SEVERITIES, [w], TODAY) == [(CRIT, w)]
    assert waived_in(_broken("/r/x.json", "missing"), SEVERITIES, [w], TODAY) == []
