"""SEC-01 — Security scan confirms 0 P0/P1 vulnerabilities.

Every configured scanner report (Trivy JSON, Grype JSON, SARIF 2.1.0) exists, parses, carries its
own readable time (never the file's mtime) younger than its max age, and lists what it scanned;
every image the compose model names or builds is scanned by one of these current reports; and no
report lists a finding at a blocking severity (default CRITICAL, HIGH) without an unexpired waiver
from the run's waiver file (--waivers=FILE: CVE and other finding IDs). No report configured is a
failure: no scan evidence.
"""

import datetime as dt

import pytest

from nestgate.probes.scan_files import read_report
from nestgate.rules.sec01_scan import (
    ScannedReport,
    coverage,
    model_images,
    no_reports_findings,
    report_record,
    scan_findings,
    waived_in,
)

pytestmark = [pytest.mark.security, pytest.mark.declared]


@pytest.mark.control("SEC-01")
def test_scan_reports_show_no_unwaived_p0_p1(target_config, declared, waivers, evidence):
    policy = target_config.model.security.scan
    severities = policy.blocking_severities
    evidence.limit(blocking_severities=severities, max_age_hours={r.path: r.max_age_hours for r in policy.reports},
                   every_model_image="scanned by a current report")
    evidence.require(no_reports_findings(policy.reports))
    now, today = dt.datetime.now(dt.UTC), dt.date.today()

    reports = []
    for report in policy.reports:
        path = target_config.in_project(report.path)
        evidence.source(f"{report.format} report {path}")
        reports.append(ScannedReport(report.format, str(path), report.max_age_hours, read_report(path, report.format)))
    evidence.source(f"{declared.source} (service images)")
    project = str(declared.raw.get("name") or target_config.model.target.stack)
    covered = coverage(model_images({n: s.spec for n, s in declared.services.items()}, project), reports, now)
    evidence.measure(reports={r.path: report_record(r, severities, waivers, now, today) for r in reports},
                     images=covered)
    for r in reports:
        for finding, w in waived_in(r, severities, waivers, today):
            evidence.waived(w.id, w.owner, w.justification, w.expires.isoformat(), w.line,
                            f"{finding.id} in {finding.package or '?'} ({r.label})")

    found = evidence.judge(scan_findings(reports, covered, severities, waivers, now, today))
    assert not found, found.message
