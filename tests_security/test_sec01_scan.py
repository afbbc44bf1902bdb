"""SEC-01 — Security scan confirms 0 P0/P1 vulnerabilities.

Every configured scanner report (Trivy JSON, Grype JSON, SARIF 2.1.0) exists, parses, is younger
than its max age, and lists no finding at a blocking severity (default CRITICAL, HIGH) that lacks
an unexpired waiver. No report configured is a failure: no scan evidence.
"""

import datetime as dt

import pytest

from nestgate.gate.waivers import active_waiver, load_waivers
from nestgate.probes.scan_files import read_report
from nestgate.rules.sec01_scan import blocking

pytestmark = [pytest.mark.security, pytest.mark.declared]

# A report dated this far ahead of the clock is not trusted as "fresh".
FUTURE_TOLERANCE_H = 1.0


@pytest.mark.control("SEC-01")
def test_scan_reports_show_no_unwaived_p0_p1(target_config, evidence):
    policy = target_config.model.security.scan
    evidence.limit(blocking_severities=policy.blocking_severities,
                   max_age_hours={r.path: r.max_age_hours for r in policy.reports})
    assert policy.reports, "no scan evidence: no scanner report configured (security.scan.reports is empty)"

    waivers = []
    if policy.waivers_file:
        waivers_path = target_config.resolve(policy.waivers_file)
        evidence.source(f"waiver file {waivers_path}")
        waivers = load_waivers(waivers_path)  # a malformed file stops here, naming the line
    now, today = dt.datetime.now(dt.UTC), dt.date.today()

    problems, unwaived, per_report = [], [], {}
    for report in policy.reports:
        path = target_config.resolve(report.path)
        evidence.source(f"{report.format} report {path}")
        facts = read_report(path, report.format)
        if facts.problem:
            problems.append(f"{report.format} report {path} {facts.problem}")
            per_report[str(path)] = {"problem": facts.problem}
            continue
        assert facts.result is not None
        age = facts.age_hours(now)
        blockers = blocking(facts.result.findings, policy.blocking_severities)
        waived = {b.id: active_waiver(waivers, b.id, today) for b in blockers}
        expired = sorted({w.id for w in waivers if w.id in waived and not w.active_on(today)})
        open_here = [b for b in blockers if waived[b.id] is None]
        per_report[str(path)] = {
            "scanner": facts.result.scanner, "created": facts.created.isoformat() if facts.created else None,
            "created_from": facts.created_from, "age_hours": round(age, 2) if age is not None else None,
            "counts_by_severity": facts.result.counts(),
            "blocking": [b.describe() for b in open_here],
            "waived": [f"{b.describe()} by {waived[b.id].owner} until {waived[b.id].expires}"
                       for b in blockers if waived[b.id] is not None],
            "expired_waivers": expired,
        }
        if age is not None and age > report.max_age_hours:
            problems.append(f"{report.format} report {path} is {age:.1f} h old (timestamp from the "
                            f"{facts.created_from}), max {report.max_age_hours:g} h")
        elif age is not None and age < -FUTURE_TOLERANCE_H:
            problems.append(f"{report.format} report {path} is dated {-age:.1f} h in the future")
        if open_here:
            note = f"; expired waivers: {', '.join(expired)}" if expired else ""
            unwaived.append(f"{path}: {len(open_here)} blocking finding(s) without waiver: "
                            f"{'; '.join(b.describe() for b in open_here)}{note}")
    evidence.measure(reports=per_report)

    failures = []
    if problems:
        failures.append("no current scan evidence: " + "; ".join(problems))
    if unwaived:
        failures.append(f"P0/P1 vulnerabilities (blocking: {', '.join(policy.blocking_severities)}) in "
                        + " | ".join(unwaived))
    assert not failures, " | ".join(failures)
