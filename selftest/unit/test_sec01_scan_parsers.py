"""SEC-01 report parsing: small files in the exact shapes Trivy, Grype and SARIF 2.1.0 write."""

import datetime as dt
import json
from pathlib import Path

import pytest

from nestgate.probes.readers.scan_reports import (
    Finding,
    ReportError,
    parse_grype,
    parse_sarif,
    parse_trivy,
    score_severity,
)
from nestgate.probes.readers.timestamps import parse_time
from nestgate.probes.scan_files import read_report
from nestgate.rules.sec01_scan import blocking

DATA = Path(__file__).parent / "data" / "sec01"


def _load(name: str):
    return json.loads((DATA / name).read_text())


def test_trivy_json_findings_and_timestamp():
    res = parse_trivy(_load("trivy.json"))
    assert res.counts() == {"CRITICAL": 1, "HIGH": 1, "MEDIUM": 1, "LOW": 1}
    assert Finding("CVE-2024-6119", "HIGH", "libssl3", "3.1.4-r5", "3.1.7-r0") in res.findings
    assert res.created == dt.datetime(2025, 11, 20, 9, 15, 42, 123456, tzinfo=dt.UTC)
    [crit, high] = blocking(res.findings, ["CRITICAL", "HIGH"])
    assert crit.describe() == "GHSA-jf85-cpcp-j695 CRITICAL in lodash 4.17.15 (fixed in 4.17.21)"
    assert high.id == "CVE-2024-6119"


def test_grype_json_severity_case_fix_versions_and_offset_timestamp():
    res = parse_grype(_load("grype.json"))
    assert res.counts() == {"CRITICAL": 1, "HIGH": 1, "NEGLIGIBLE": 1}
    assert Finding("CVE-2023-5363", "HIGH", "libcrypto3", "3.1.3-r0", "3.1.4-r0") in res.findings
    busybox = next(f for f in res.findings if f.package == "busybox")
    assert busybox.describe() == "CVE-2022-48174 CRITICAL in busybox 1.36.1-r15 (no fix)"
    assert res.created == dt.datetime(2025, 11, 20, 9, 2, 11, 551200, tzinfo=dt.UTC)
    assert res.scanner == "Grype 0.74.7"


def test_trivy_sarif_reads_severity_tag_and_message_fields():
    res = parse_sarif(_load("trivy.sarif"))
    assert res.findings == [
        Finding("CVE-2024-45490", "CRITICAL", "libexpat1", "2.5.0-1", "2.5.0-1+deb12u1"),
        Finding("CVE-2024-28757", "MEDIUM", "libexpat1", "2.5.0-1", ""),
    ]
    assert res.created is None  # no invocations: the file's mtime stands in


def test_grype_sarif_reads_security_severity_score_and_invocation_time():
    res = parse_sarif(_load("grype.sarif"))
    assert [(f.id, f.severity) for f in res.findings] == [
        ("CVE-2023-45853-zlib", "CRITICAL"), ("CVE-2023-6237-libcrypto3", "NEGLIGIBLE")]
    assert res.created == dt.datetime(2025, 11, 20, 8, 0, 41, tzinfo=dt.UTC)


def test_sarif_without_tags_or_score_falls_back_to_level_and_error_blocks():
    doc = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x", "rules": [{"id": "R1"}]}},
                                         "results": [{"ruleId": "R1", "level": "error", "message": {"text": "m"}},
                                                     {"ruleIndex": 0, "message": {"text": "m"}}]}]}
    res = parse_sarif(doc)
    assert [f.severity for f in res.findings] == ["HIGH", "MEDIUM"]  # SARIF's default level is warning
    assert [f.id for f in res.findings] == ["R1", "R1"]


@pytest.mark.parametrize("score,sev", [(9.0, "CRITICAL"), (8.9, "HIGH"), (7.0, "HIGH"), (6.9, "MEDIUM"),
                                       (0.1, "LOW"), (0.0, "NEGLIGIBLE")])
def test_cvss_bands(score, sev):
    assert score_severity(score) == sev


@pytest.mark.parametrize("parser,doc,problem", [
    (parse_trivy, [], "top level is not an object"),
    (parse_trivy, {"foo": 1}, "no SchemaVersion or Results"),
    (parse_trivy, {"Results": [{"Vulnerabilities": [{"PkgName": "x"}]}]}, "has no VulnerabilityID"),
    (parse_trivy, {"Results": {"a": 1}}, "Results is not a list"),
    (parse_grype, {"Results": []}, "no matches"),
    (parse_grype, {"matches": [{"artifact": {}}]}, "matches[0].vulnerability has no id"),
    (parse_sarif, {"runs": [], "version": "2.0.0"}, "SARIF version '2.0.0'"),
    (parse_sarif, {"version": "2.1.0"}, "no runs"),
    (parse_sarif, {"version": "2.1.0", "runs": [{"results": [{"message": {}}]}]}, "has no ruleId"),
])
def test_wrong_shapes_are_named(parser, doc, problem):
    with pytest.raises(ReportError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        parser(doc)


def test_blocking_dedups_the_same_finding_in_two_targets():
    f = Finding("CVE-1", "HIGH", "p", "1")
    assert blocking([f, f, Finding("CVE-2", "LOW", "p", "1")], ["HIGH"]) == [f]


def test_parse_time_variants():
    assert parse_time("2025-01-02T03:04:05Z") == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert parse_time("garbage") is None and parse_time(None) is None and parse_time("") is None


def test_read_report_missing_garbage_and_wrong_format(tmp_path):
    assert read_report(tmp_path / "absent.json", "trivy").problem == "missing"
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xffnot json")
    assert read_report(garbage, "trivy").problem.startswith("is not JSON")
    grype_as_trivy = read_report(DATA / "grype.json", "trivy")
    assert grype_as_trivy.problem == "is not a trivy report: not a Trivy JSON report (no SchemaVersion or Results)"
    assert read_report(tmp_path, "sarif").problem == "is not a file"


def test_read_report_uses_the_report_time_else_mtime(tmp_path):
    facts = read_report(DATA / "trivy.json", "trivy")
    assert (facts.problem, facts.created_from) == ("", "report")
    sarif = read_report(DATA / "trivy.sarif", "sarif")
    assert sarif.created_from == "mtime" and sarif.created is not None
