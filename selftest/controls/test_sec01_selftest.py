"""SEC-01 through the real gate run, on report files (the control reads files only): no report,
a missing or garbage one, waivers that waive, an expired one that does not, a malformed waiver
file, a configurable severity set. The seeded stack faults (scan-critical, scan-report-stale)
are in test_sec_faults_selftest.py.
"""

from pathlib import Path

import pytest

from selftest.conftest import derive_config
from selftest.gaterun import run_gates

DATA = Path(__file__).resolve().parents[1] / "unit" / "data" / "sec01"
TEN_YEARS_H = 24 * 365 * 10.0  # the fixture reports are from 2025: age is not what these tests test
SELECT = ["-m", "security", "-k", "SEC-01"]


def _run(default_config, tmp_path, **scan):
    scan.setdefault("reports", [{"path": str(DATA / "trivy.json"), "format": "trivy", "max_age_hours": TEN_YEARS_H}])
    run = run_gates(SELECT, derive_config(default_config, tmp_path, security={"scan": scan}))
    [result] = run.by_control("SEC-01")
    return result


def _waivers(tmp_path, body: str) -> str:
    path = tmp_path / "waivers.toml"
    path.write_text(body)
    return str(path)


def _waiver(wid: str, expires: str) -> str:
    return (f'[[waiver]]\nid = "{wid}"\njustification = "no exploit path in our image"\n'
            f'owner = "security@medianest.example"\nexpires = {expires}\n')


def test_no_report_configured_is_no_scan_evidence(default_config, tmp_path):
    result = _run(default_config, tmp_path, reports=[])
    assert result.outcome == "failed"
    assert result.message.startswith("SEC-01: no scan evidence: no scanner report configured")


def test_missing_and_garbage_reports_fail_naming_the_file(default_config, tmp_path):
    garbage = tmp_path / "grype.json"
    garbage.write_bytes(b"<html>502 Bad Gateway</html>")
    result = _run(default_config, tmp_path, reports=[
        {"path": str(tmp_path / "absent.sarif"), "format": "sarif"}, {"path": str(garbage), "format": "grype"}])
    assert result.outcome == "failed"
    assert f"sarif report {tmp_path / 'absent.sarif'} missing" in result.message
    assert f"grype report {garbage} is not JSON" in result.message
    assert "Traceback" not in result.message


def test_blocking_findings_list_id_package_and_versions(default_config, tmp_path):
    result = _run(default_config, tmp_path)
    assert result.outcome == "failed"
    assert "2 blocking finding(s) without waiver" in result.message
    assert "GHSA-jf85-cpcp-j695 CRITICAL in lodash 4.17.15 (fixed in 4.17.21)" in result.message
    assert "CVE-2024-6119 HIGH in libssl3 3.1.4-r5 (fixed in 3.1.7-r0)" in result.message


def test_unexpired_waivers_waive_and_an_expired_one_does_not(default_config, tmp_path):
    both = _waivers(tmp_path, _waiver("GHSA-jf85-cpcp-j695", "2099-01-01") + _waiver("CVE-2024-6119", "2099-01-01"))
    assert _run(default_config, tmp_path, waivers_file=both).outcome == "passed"
    expired = _waivers(tmp_path, _waiver("GHSA-jf85-cpcp-j695", "2099-01-01") + _waiver("CVE-2024-6119", "2020-01-01"))
    result = _run(default_config, tmp_path, waivers_file=expired)
    assert result.outcome == "failed"
    assert "1 blocking finding(s) without waiver: CVE-2024-6119 HIGH" in result.message
    assert "expired waivers: CVE-2024-6119" in result.message and "GHSA-jf85" not in result.message


def test_malformed_waiver_file_names_the_line(default_config, tmp_path):
    no_owner = '\n[[waiver]]\nid = "CVE-1"\nexpires = 2099-01-01\n'
    bad = _waivers(tmp_path, _waiver("CVE-2024-6119", "2099-01-01") + no_owner)
    result = _run(default_config, tmp_path, waivers_file=bad)
    assert result.outcome == "failed"
    assert result.message.startswith(f"SEC-01: evidence unavailable: {bad}: line 7: waiver 2: ")
    assert "required key is missing" in result.message


@pytest.mark.parametrize("fmt,name", [("grype", "grype.json"), ("sarif", "trivy.sarif"), ("sarif", "grype.sarif")])
def test_every_format_blocks_on_its_critical_finding(default_config, tmp_path, fmt, name):
    result = _run(default_config, tmp_path, reports=[{"path": str(DATA / name), "format": fmt,
                                                      "max_age_hours": TEN_YEARS_H}])
    assert result.outcome == "failed" and "CRITICAL" in result.message


def test_severity_set_is_configurable(default_config, tmp_path):
    sarif = [{"path": str(DATA / "trivy.sarif"), "format": "sarif", "max_age_hours": TEN_YEARS_H}]
    strict = _run(default_config, tmp_path, reports=sarif, blocking_severities=["MEDIUM"])
    assert strict.outcome == "failed"
    assert "(blocking: MEDIUM)" in strict.message
    assert "CVE-2024-28757 MEDIUM in libexpat1 2.5.0-1 (no fix)" in strict.message
