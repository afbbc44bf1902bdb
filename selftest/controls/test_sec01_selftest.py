"""SEC-01 through the real gate run, on real report files and a real compose file (the control reads
files and `compose config` only): no report, a missing or garbage one, a report that scanned nothing,
a report time that cannot be read, an image of the compose file no report scanned, finding waivers
from the run's waiver file (--waivers) that waive (also the seeded CVE of the reference stack's reports),
an expired one that does not, an invalid waiver file, the old config key, a configurable severity
set. The seeded stack faults (scan-critical, scan-report-stale, scan-empty, scan-unscanned-image) are
in the exclusivity matrix (selftest/matrix/).
"""

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from nestgate.testbed.faults.scan import SEEDED_CVE
from selftest.conftest import derive_config
from selftest.gaterun import run_gates, write_config

DATA = Path(__file__).resolve().parents[1] / "unit" / "data" / "sec01"
TEN_YEARS_H = 24 * 365 * 10.0  # the fixture reports are from 2025: age is not what most of these test
SELECT = ["-m", "security", "-k", "SEC-01"]
# The images each fixture report scanned.
IMAGES = {"trivy.json": "medianest/backend:1.4.2", "grype.json": "medianest/frontend:1.4.2",
          "trivy.sarif": "nginx:1.25-alpine", "grype.sarif": "medianest/frontend:1.4.2"}


def _report(name: str, fmt: str, directory: Path = DATA) -> dict:
    return {"path": str(directory / name), "format": fmt, "max_age_hours": TEN_YEARS_H}


def _compose(directory: Path, images: list[str], built: tuple[str, ...] = ()) -> dict:
    """A compose file whose services run `images` (and build `built` without naming an image)."""
    services = {f"s{i}": {"image": image} for i, image in enumerate(images)}
    services.update({name: {"build": {"context": "."}} for name in built})
    (directory / "compose.json").write_text(json.dumps({"services": services}))
    return {"project_dir": str(directory), "compose_files": ["compose.json"]}


def _config(default_config, tmp_path, images=None, built=(), **scan):
    scan.setdefault("reports", [_report("trivy.json", "trivy")])
    if images is None:
        images = sorted({IMAGES[Path(r["path"]).name] for r in scan["reports"] if Path(r["path"]).name in IMAGES})
    target = _compose(tmp_path, images, built)
    return derive_config(default_config, tmp_path, security={"scan": scan}, target=target)


def _run(default_config, tmp_path, *args: str, images=None, built=(), **scan):
    run = run_gates([*SELECT, *args], _config(default_config, tmp_path, images, built, **scan))
    [result] = run.by_control("SEC-01")
    # the checks below read every finding: the failure line itself is capped ("and N more findings")
    return replace(result, message=result.said)


def _waivers(tmp_path, body: str) -> str:
    path = tmp_path / "waivers.toml"
    path.write_text(body)
    return f"--waivers={path}"


def _waiver(wid: str, expires: dt.date) -> str:
    return (f'[[waiver]]\nid = "{wid}"\njustification = "no exploit path in our image"\n'
            f'owner = "security@medianest.example"\nexpires = {expires.isoformat()}\n')


def _doc(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def _write(tmp_path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


SOON, PAST = dt.date.today() + dt.timedelta(days=30), dt.date.today() - dt.timedelta(days=1)


def test_no_report_configured_is_no_scan_evidence(default_config, tmp_path):
    result = _run(default_config, tmp_path, reports=[], images=[])
    assert result.outcome == "failed"
    assert result.message.startswith("SEC-01: no scan evidence: no scanner report configured")


def test_missing_and_garbage_reports_fail_naming_the_file(default_config, tmp_path):
    garbage = tmp_path / "grype.json"
    garbage.write_bytes(b"<html>502 Bad Gateway</html>")
    result = _run(default_config, tmp_path, images=[], reports=[
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


# -- scanned nothing, unreadable time, unscanned images (issue 14, item 3) -----------------------------
@pytest.mark.parametrize("results", [[], None, "absent"])
def test_a_trivy_report_without_results_scanned_nothing(default_config, tmp_path, results):
    doc = {**_doc("trivy.json"), "CreatedAt": dt.datetime.now(dt.UTC).isoformat()}
    if results == "absent":
        del doc["Results"]
    else:
        doc["Results"] = results
    path = _write(tmp_path, "trivy.json", doc)
    result = _run(default_config, tmp_path, reports=[{"path": str(path), "format": "trivy"}],
                  images=[IMAGES["trivy.json"]])
    assert result.outcome == "failed"
    assert (f"scanned nothing: trivy report {path} lists no scanned target (no Results[].Target; it names "
            "medianest/backend:1.4.2, sha256:3b1c2a9f0e7d but lists nothing analysed in it)") in result.message
    # and so the image it names was not scanned by any current report
    assert "image not scanned: medianest/backend:1.4.2 (service s0) is in no current scan report" in result.message


def test_an_empty_grype_report_and_sarif_without_runs_scanned_nothing(default_config, tmp_path):
    grype = _write(tmp_path, "grype.json", {"matches": [], "descriptor": {"timestamp": "2025-11-20T10:00:00Z"}})
    sarif = _write(tmp_path, "empty.sarif", {"version": "2.1.0", "runs": []})
    result = _run(default_config, tmp_path, images=[], reports=[
        {"path": str(grype), "format": "grype", "max_age_hours": TEN_YEARS_H},
        {"path": str(sarif), "format": "sarif", "max_age_hours": TEN_YEARS_H}])
    assert result.outcome == "failed"
    assert f"scanned nothing: grype report {grype} lists no scanned target (no source.target)" in result.message
    assert f"sarif report {sarif} has no time (runs[].invocations[].endTimeUtc missing)" in result.message
    assert f"sarif report {sarif} lists no scanned target (no run names an image" in result.message


def test_no_findings_with_a_named_target_is_a_clean_scan(default_config, tmp_path):
    doc = {**_doc("grype.json"), "matches": []}
    doc["descriptor"] = {**doc["descriptor"], "timestamp": dt.datetime.now(dt.UTC).isoformat()}
    path = _write(tmp_path, "grype.json", doc)
    result = _run(default_config, tmp_path, reports=[{"path": str(path), "format": "grype"}],
                  images=["docker.io/medianest/frontend:1.4.2"])
    assert result.outcome == "passed", result.message
    scanned = result.evidence["measured"]["images"]["docker.io/medianest/frontend:1.4.2"]
    assert scanned == {"services": ["s0"], "scanned_in": [str(path)], "named_only_by": []}
    assert result.evidence["measured"]["reports"][str(path)]["scanned_targets"] == ["medianest/frontend:1.4.2"]


@pytest.mark.parametrize("created,says", [
    ("20/11/2025 09:15", "has a time that cannot be read: CreatedAt is '20/11/2025 09:15'"),
    (None, "has no time (CreatedAt missing)"),
])
def test_a_report_time_that_cannot_be_read_fails_and_never_falls_back_to_the_mtime(default_config, tmp_path,
                                                                                    created, says):
    doc = _doc("trivy.json")
    doc["Results"] = [{k: v for k, v in r.items() if k != "Vulnerabilities"} for r in doc["Results"]]
    doc["CreatedAt"] = created
    path = _write(tmp_path, "trivy.json", doc)  # written just now: a fresh mtime would have passed
    result = _run(default_config, tmp_path, reports=[{"path": str(path), "format": "trivy"}])
    assert result.outcome == "failed"
    assert result.message.startswith(f"SEC-01: no current scan evidence: trivy report {path} {says}; the file's "
                                     "mtime is no evidence of when the scan ran")


def test_every_image_of_the_compose_file_must_be_scanned(default_config, tmp_path):
    result = _run(default_config, tmp_path, images=["docker.io/medianest/backend:1.4.2", "redis:7.2"],
                  built=("frontend",))
    assert result.outcome == "failed"
    # a built service without image: is Compose's <project>-<service>
    for unscanned in ("image not scanned: medianest-staging-frontend (service frontend) is in no current scan report",
                      "redis:7.2 (service s1) is in no current scan report"):
        assert unscanned in result.message, result.message
    images = result.evidence["measured"]["images"]
    assert images["docker.io/medianest/backend:1.4.2"]["scanned_in"] == [str(DATA / "trivy.json")]


def test_an_image_only_in_a_stale_report_is_not_scanned(default_config, tmp_path):
    stale = {**_report("grype.json", "grype"), "max_age_hours": 1}
    result = _run(default_config, tmp_path, reports=[stale])
    assert result.outcome == "failed"
    assert (f"image not scanned: medianest/frontend:1.4.2 (service s0) is in no current scan report (named only by "
            f"{DATA / 'grype.json'}, which is not current scan evidence)") in result.message


# -- one waiver mechanism: finding waivers from the run's waiver file (issue 14, item 5) -------------
def test_cve_waivers_given_with_waivers_waive_and_are_recorded(default_config, tmp_path):
    both = _waivers(tmp_path, _waiver("GHSA-jf85-cpcp-j695", SOON) + "\n" + _waiver("CVE-2024-6119", SOON))
    result = _run(default_config, tmp_path, both)
    assert result.outcome == "passed", result.message
    used = result.evidence["waivers_used"]
    assert [(w["id"], w["line"], w["owner"], w["expires"]) for w in used] == [
        ("GHSA-jf85-cpcp-j695", 1, "security@medianest.example", SOON.isoformat()),
        ("CVE-2024-6119", 7, "security@medianest.example", SOON.isoformat())]
    assert used[1]["waived"] == f"CVE-2024-6119 in libssl3 (trivy report {DATA / 'trivy.json'})"
    assert used[1]["justification"] == "no exploit path in our image"


def test_the_seeded_cve_is_waived_by_a_waiver_given_with_waivers(testbed, tmp_path):
    arg = _waivers(tmp_path, _waiver(SEEDED_CVE, SOON))
    with testbed.fault("scan-critical"):
        [bare] = run_gates(SELECT, testbed.config_path).by_control("SEC-01")
        run = run_gates([*SELECT, arg], testbed.config_path)
        [waived] = run.by_control("SEC-01")
    assert bare.outcome == "failed" and f"{SEEDED_CVE} CRITICAL in libexpat1" in bare.said
    assert waived.outcome == "passed", waived.message
    [used] = waived.evidence["waivers_used"]
    assert used["id"] == SEEDED_CVE and used["waived"].startswith(f"{SEEDED_CVE} in libexpat1 (trivy report ")
    # the verdict lists every waiver used, finding waivers included
    assert f"  waiver {SEEDED_CVE} (line 1, owner " in run.output.split("nestgate verdict")[-1], run.output[-2000:]


def test_an_expired_cve_waiver_waives_nothing(default_config, tmp_path):
    expired = _waivers(tmp_path, _waiver("GHSA-jf85-cpcp-j695", SOON) + "\n" + _waiver("CVE-2024-6119", PAST))
    result = _run(default_config, tmp_path, expired)
    assert result.outcome == "failed"
    assert "1 blocking finding(s) without waiver: CVE-2024-6119 HIGH" in result.message
    assert "expired waivers: CVE-2024-6119" in result.message and "GHSA-jf85" not in result.message


@pytest.mark.parametrize("bad,says", [
    ('[[waiver]]\nid = "CVE-2024-1111"\nexpires = 2020-01-01\n',
     "line 7: waiver 2: justification: required key is missing"),
    (_waiver("*", SOON), "line 7: waiver 2: id: '*' is neither a control ID of the catalog"),
    (_waiver("sec-01", SOON), "line 7: waiver 2: id: 'sec-01' is not a control ID: control IDs are upper case"),
    (_waiver("CVE-2024-6119", dt.date(9999, 12, 31)), "line 7: waiver 2: expires: 9999-12-31 is more than 90 days"),
    (_waiver("CVE-2024-6119", SOON).replace("security@medianest.example", " "), "line 7: waiver 2: owner: is blank"),
])
def test_an_invalid_waiver_file_is_a_usage_error_naming_the_line(default_config, tmp_path, bad, says):
    arg = _waivers(tmp_path, _waiver("CVE-2024-6119", SOON) + "\n" + bad)
    run = run_gates([*SELECT, arg], _config(default_config, tmp_path))
    assert run.returncode == 4 and not run.outcomes, run.output  # pytest's usage error: nothing ran
    assert f"ERROR: waiver file rejected, nothing is waived: {arg.split('=', 1)[1]}: {says}" in run.output
    assert "Traceback" not in run.output


def test_the_old_sec01_waivers_file_key_is_refused_saying_where_waivers_went(default_config, tmp_path):
    data = {**default_config, "security": {**default_config["security"],
                                           "scan": {**default_config["security"]["scan"], "waivers_file": "w.toml"}}}
    run = run_gates(SELECT, write_config(data, tmp_path))
    assert run.returncode == 4 and not run.outcomes
    assert ("security.scan: waivers_file: unknown key (finding waivers, e.g. CVE IDs, now go in the run's waiver "
            "file: --waivers=FILE or $NESTGATE_WAIVERS)") in run.output


@pytest.mark.parametrize("fmt,name", [("grype", "grype.json"), ("sarif", "trivy.sarif"), ("sarif", "grype.sarif")])
def test_every_format_blocks_on_its_critical_finding(default_config, tmp_path, fmt, name):
    result = _run(default_config, tmp_path, reports=[_report(name, fmt)])
    assert result.outcome == "failed" and "CRITICAL" in result.message


def test_a_grype_sarif_finding_is_waived_by_its_cve(default_config, tmp_path):
    waiver = _waivers(tmp_path, _waiver("CVE-2023-45853", SOON))
    result = _run(default_config, tmp_path, waiver, reports=[_report("grype.sarif", "sarif")])
    assert result.outcome == "passed", result.message


def test_severity_set_is_configurable(default_config, tmp_path):
    strict = _run(default_config, tmp_path, reports=[_report("trivy.sarif", "sarif")], blocking_severities=["MEDIUM"])
    assert strict.outcome == "failed"
    assert "(blocking: MEDIUM)" in strict.message
    assert "CVE-2024-28757 MEDIUM in libexpat1 2.5.0-1 (no fix)" in strict.message
