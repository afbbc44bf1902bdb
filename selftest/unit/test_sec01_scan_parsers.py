"""SEC-01 report parsing: small files in the exact shapes Trivy, Grype and SARIF 2.1.0 write."""

import datetime as dt
import json
from pathlib import Path

import pytest

from nestgate.probes.readers.scan_reports import (
    Finding,
    ReportError,
    advisory_id,
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
    # Trivy's SARIF carries no time at all (no invocations): nothing to date the scan by.
    assert (res.created, res.time_field, res.time_raw) == (None, "runs[].invocations[].endTimeUtc", None)
    assert res.images == ["nginx:1.25-alpine"] and "nginx:1.25-alpine" in res.targets  # run.properties.imageName


def test_grype_sarif_reads_security_severity_score_and_invocation_time():
    res = parse_sarif(_load("grype.sarif"))
    # Grype's ruleId is "<advisory>-<package>": the finding ID is the advisory, so a CVE waiver names it.
    assert res.findings == [Finding("CVE-2023-45853", "CRITICAL", "zlib", "1.2.13-r1"),
                            Finding("CVE-2023-6237", "NEGLIGIBLE", "libcrypto3", "3.1.4-r1")]
    assert res.created == dt.datetime(2025, 11, 20, 8, 0, 41, tzinfo=dt.UTC)
    assert res.images == ["medianest/frontend:1.4.2"]  # from the logical location and the message
    assert "frontend/lib/apk/db/installed" in res.targets


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
    (parse_sarif, {"version": "2.1.0", "runs": [{"results": []}]}, "runs[0] has no tool.driver.name"),
    (parse_sarif, {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {}}]}]},
     "has no ruleId"),
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


def test_read_report_takes_the_report_time_never_the_mtime():
    facts = read_report(DATA / "trivy.json", "trivy")
    assert facts.problem == "" and facts.created == dt.datetime(2025, 11, 20, 9, 15, 42, 123456, tzinfo=dt.UTC)
    sarif = read_report(DATA / "trivy.sarif", "sarif")
    assert sarif.problem == "" and sarif.created is None and sarif.age_hours(dt.datetime.now(dt.UTC)) is None


@pytest.mark.parametrize("doc,field,raw", [
    ({"SchemaVersion": 2, "CreatedAt": "yesterday", "Results": []}, "CreatedAt", "yesterday"),
    ({"SchemaVersion": 2, "Results": []}, "CreatedAt", None),
    ({"SchemaVersion": 2, "CreatedAt": 1732000000, "Results": []}, "CreatedAt", 1732000000),
])
def test_trivy_time_missing_or_unreadable_is_kept_raw(doc, field, raw):
    res = parse_trivy(doc)
    assert (res.created, res.time_field, res.time_raw) == (None, field, raw)


def test_grype_and_sarif_time_fields():
    grype = parse_grype({"matches": [], "descriptor": {"timestamp": "20 Nov 2025"}})
    assert (grype.created, grype.time_field, grype.time_raw) == (None, "descriptor.timestamp", "20 Nov 2025")
    run = {"tool": {"driver": {"name": "x"}}, "invocations": [{"endTimeUtc": "2025-11-20T08:00:00Z"},
                                                               {"startTimeUtc": "soon"}]}
    sarif = parse_sarif({"version": "2.1.0", "runs": [run]})
    assert (sarif.created, sarif.time_field, sarif.time_raw) == (None, "runs[0].invocations[1].startTimeUtc", "soon")


# -- what each format says it scanned, and which images it names --------------------------------------
def test_trivy_targets_are_its_results_and_images_its_artifact():
    res = parse_trivy(_load("trivy.json"))
    assert res.targets == ["medianest/backend:1.4.2 (alpine 3.19.1)", "app/package-lock.json",
                           "app/node_modules/express/package.json"]
    assert res.images == ["medianest/backend:1.4.2", "sha256:3b1c2a9f0e7d"]


@pytest.mark.parametrize("results", [[], None, "absent"])
def test_trivy_without_results_scanned_nothing_even_with_an_artifact_name(results):
    doc = {"SchemaVersion": 2, "ArtifactName": "app:1", "ArtifactType": "container_image"}
    if results != "absent":
        doc["Results"] = results
    res = parse_trivy(doc)
    assert res.targets == [] and res.images == ["app:1"]


def test_trivy_filesystem_scan_names_no_image():
    res = parse_trivy({"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
                       "Results": [{"Target": "package-lock.json"}]})
    assert (res.targets, res.images) == (["package-lock.json"], [])


def test_grype_target_and_images():
    res = parse_grype(_load("grype.json"))
    assert (res.targets, res.images) == (["medianest/frontend:1.4.2"], ["medianest/frontend:1.4.2"])
    target = {"userInput": "nginx:1.25", "imageID": "sha256:aa11", "tags": ["nginx:1.25"],
              "repoDigests": ["nginx@sha256:d1"]}
    empty = parse_grype({"matches": [], "source": {"type": "image", "target": target}})
    assert empty.findings == [] and empty.targets == ["nginx:1.25", "sha256:aa11"]
    assert empty.images == ["nginx:1.25", "nginx@sha256:d1", "sha256:aa11"]
    directory = parse_grype({"matches": [], "source": {"type": "directory", "target": "/src"}})
    assert (directory.targets, directory.images) == (["/src"], [])
    assert parse_grype({"matches": []}).targets == []


def test_sarif_with_no_runs_or_no_named_target_scanned_nothing():
    assert parse_sarif({"version": "2.1.0", "runs": []}).targets == []
    bare = parse_sarif({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy"}}, "results": []}]})
    assert (bare.targets, bare.images) == ([], [])
    automation = parse_sarif({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
                                                           "automationDetails": {"id": "nightly/app"},
                                                           "artifacts": [{"location": {"uri": "Dockerfile"}}]}]})
    assert (automation.targets, automation.images) == (["nightly/app", "Dockerfile"], [])


@pytest.mark.parametrize("rule_id,finding_id,package", [
    ("CVE-2023-45853-zlib", "CVE-2023-45853", "zlib"), ("CVE-2023-45853", "CVE-2023-45853", ""),
    ("GHSA-jf85-cpcp-j695-lodash", "GHSA-jf85-cpcp-j695", "lodash"), ("R1", "R1", ""),
    ("CVE-2023-45853-", "CVE-2023-45853-", ""),
])
def test_advisory_id_of_a_rule_id(rule_id, finding_id, package):
    assert advisory_id(rule_id) == (finding_id, package)
