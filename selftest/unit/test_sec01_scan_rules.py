"""SEC-01 rules: freshness (too old, dated in the future, unreadable), blocking findings against
waivers (active, expired), the evidence record per report, and no report configured."""

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
    freshness_findings,
    no_reports_findings,
    report_record,
    scan_findings,
    triage,
)

NOW = dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()
SEVERITIES = ["CRITICAL", "HIGH"]
CRIT = ScanFinding("GHSA-1", "CRITICAL", "lodash", "4.17.15", "4.17.21")
HIGH = ScanFinding("CVE-2", "HIGH", "libssl3", "3.1.4", "")
LOW = ScanFinding("CVE-3", "LOW", "zlib", "1.0", "")


def _report(path: str = "/r/trivy.json", age_h: float = 1.0, findings=(CRIT, HIGH, LOW), fmt: str = "trivy",
            max_age_hours: float = 24.0, created_from: str = "report") -> ScannedReport:
    created = NOW - dt.timedelta(hours=age_h)
    facts = ReportFacts(Path(path), fmt, "", ScanResult(fmt, list(findings), created, "Trivy"), created, created_from)
    return ScannedReport(fmt, path, max_age_hours, facts)


def _broken(path: str, problem: str, fmt: str = "grype") -> ScannedReport:
    return ScannedReport(fmt, path, 24.0, ReportFacts(Path(path), fmt, problem, None, None, "mtime"))


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
    [f] = freshness_findings(_report("/r/grype.json", age_h=72, fmt="grype", created_from="mtime"), NOW)
    assert (f.subject, f.property, f.measured, f.expected) == ("no current scan evidence", "age_hours", 72.0, "<= 24")
    assert f.sentence == "grype report /r/grype.json is 72.0 h old (timestamp from the mtime), max 24 h"


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
        "scanner": "Trivy", "created": "2026-01-10T10:45:57.600000+00:00", "created_from": "report",
        "age_hours": 1.23, "counts_by_severity": {"CRITICAL": 1, "HIGH": 1, "LOW": 1},
        "blocking": ["CVE-2 HIGH in libssl3 3.1.4 (no fix)"],
        "waived": ["GHSA-1 CRITICAL in lodash 4.17.15 (fixed in 4.17.21) by sec@example.org until 2099-01-01"],
        "expired_waivers": ["CVE-2"],
    }
    assert report_record(_broken("/r/g.json", "is not JSON (x)"), SEVERITIES, [], NOW, TODAY) == {
        "problem": "is not JSON (x)"}


def test_stale_evidence_comes_first_then_what_blocks():
    reports = [_report("/r/a.json", findings=[HIGH]), _report("/r/b.json", age_h=48, findings=[])]
    found = scan_findings(reports, SEVERITIES, [], NOW, TODAY)
    assert [f.subject for f in found] == ["no current scan evidence",
                                          "P0/P1 vulnerabilities (blocking: CRITICAL, HIGH) in /r/a.json"]
    assert message(found) == ("no current scan evidence: trivy report /r/b.json is 48.0 h old (timestamp from the "
                              "report), max 24 h; P0/P1 vulnerabilities (blocking: CRITICAL, HIGH) in /r/a.json: "
                              "1 blocking finding(s) without waiver: CVE-2 HIGH in libssl3 3.1.4 (no fix)")
    assert scan_findings([_report(findings=[LOW])], SEVERITIES, [], NOW, TODAY) == []
