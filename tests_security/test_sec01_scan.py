"""SEC-01 — Security scan confirms 0 P0/P1 vulnerabilities.

Every configured scanner report (Trivy JSON, Grype JSON, SARIF 2.1.0) exists, parses, is younger
than its max age, and lists no finding at a blocking severity (default CRITICAL, HIGH) that lacks
an unexpired waiver. No report configured is a failure: no scan evidence.
"""

import datetime as dt

import pytest

from nestgate.gate.waivers import load_waivers
from nestgate.probes.scan_files import read_report
from nestgate.rules.sec01_scan import ScannedReport, no_reports_findings, report_record, scan_findings

pytestmark = [pytest.mark.security, pytest.mark.declared]


@pytest.mark.control("SEC-01")
def test_scan_reports_show_no_unwaived_p0_p1(target_config, evidence):
    policy = target_config.model.security.scan
    severities = policy.blocking_severities
    evidence.limit(blocking_severities=severities, max_age_hours={r.path: r.max_age_hours for r in policy.reports})
    evidence.require(no_reports_findings(policy.reports))

    waivers = []
    if policy.waivers_file:
        waivers_path = target_config.resolve(policy.waivers_file)
        evidence.source(f"waiver file {waivers_path}")
        waivers = load_waivers(waivers_path)  # a malformed file stops here, naming the line
    now, today = dt.datetime.now(dt.UTC), dt.date.today()

    reports = []
    for report in policy.reports:
        path = target_config.resolve(report.path)
        evidence.source(f"{report.format} report {path}")
        reports.append(ScannedReport(report.format, str(path), report.max_age_hours, read_report(path, report.format)))
    evidence.measure(reports={r.path: report_record(r, severities, waivers, now, today) for r in reports})

    found = evidence.judge(scan_findings(reports, severities, waivers, now, today))
    assert not found, found.message
