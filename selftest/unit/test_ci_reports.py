"""A small gate run (the fixture suite: real pytest, the real plugin, stub controls) as GitHub Actions and
GitLab CI run it: the `::error` annotations with the compose file and line, the job summary, findings.sarif
valid against the official SARIF 2.1.0 schema, GitLab's Code Quality report, every file in the verified
manifest, and none of the planted canary secrets anywhere."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from nestgate.gate.bundle import verify_bundle
from selftest.fixture_suite import bundles, run_suite, write_suite
from selftest.stub_controls import stub_tests

# OASIS SARIF 2.1.0 (errata01) schema, vendored: see selftest/data/README.md for where it came from.
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"
CANARIES = {"file": "CANARY-FILE-5e1b7d20", "env": "CANARY-ENV-3c9a61f4", "shape": "CANARY-SHAPE-0b72e9c5"}

COMPOSE = """\
services:
  app:
    image: busybox
    user: root
  db:
    image: postgres
"""
# user: root is on line 4, column 5; the app service on line 2, column 3.

SEC04 = '''\
"""SEC-04 (fixture): the declared side finds root and a writable root filesystem on service app."""
import pytest

from nestgate.rules.findings import Finding

pytestmark = [pytest.mark.security, pytest.mark.declared]


@pytest.mark.control("SEC-04")
def test_declared_hardening(evidence):
    evidence.source("compose.yml")
    evidence.measure(user="root")
    found = evidence.judge([Finding("service app (compose)", "user", "root", "a non-root user"),
                            Finding("service app (compose)", "read_only", False, True,
                                    says="root filesystem is writable, expected read-only"),
                            Finding("service db (compose)", "user", "(unset)", "a non-root user")])
    assert not found, found.message
'''


def _suite(root: Path) -> Path:
    write_suite(root)
    (root / "compose.yml").write_text(COMPOSE)
    (root / "state" / "canary.secret").write_text(CANARIES["file"] + "\n")
    (root / "tests_security" / "test_security_stubs.py").write_text(
        stub_tests("security", without=(("SEC-02", "runtime"), ("SEC-04", "declared"))))
    (root / "tests_security" / "test_sec04_fixture.py").write_text(SEC04)
    return root


def _run(root: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> tuple[subprocess.CompletedProcess[str], Path]:
    proc = run_suite(root, list(args), mode="leak", env={
        "NG_CANARY_TOKEN": CANARIES["env"], "NG_SHAPED": CANARIES["shape"], "GITHUB_ACTIONS": "", "GITLAB_CI": "",
        **env})
    found = bundles(root)
    assert len(found) == 1, proc.stdout + proc.stderr
    return proc, found[0]


@pytest.fixture(scope="module")
def github(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = _suite(tmp_path_factory.mktemp("gh") / "suite")
    summary = root.parent / "summary.md"
    summary.write_text("# earlier step\n")
    proc, bundle = _run(root, {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary),
                               "GITHUB_WORKSPACE": str(root)})
    return {"proc": proc, "bundle": bundle, "summary": summary.read_text(), "root": root}


@pytest.fixture(scope="module")
def gitlab(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = _suite(tmp_path_factory.mktemp("gl") / "suite")
    proc, bundle = _run(root, {"GITLAB_CI": "true"}, ("-n", "2"))  # sides and findings cross xdist
    return {"proc": proc, "bundle": bundle, "root": root}


def _annotations(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("::")]


def test_github_annotations_name_the_compose_line_of_declared_findings(github):
    proc = github["proc"]
    assert proc.returncode == 1, proc.stdout + proc.stderr
    notes = _annotations(proc.stdout)
    assert len(notes) == 2, notes  # one per failed control test: SEC-04 declared, SEC-02 runtime
    sec04 = next(n for n in notes if "title=SEC-04" in n)
    assert sec04 == ("::error file=compose.yml,line=4,col=5,title=SEC-04::SEC-04: service app (compose): user is "
                     "'root', expected a non-root user; root filesystem is writable, expected read-only; "
                     "service db (compose): user is '(unset)', expected a non-root user "
                     "(tests_security/test_sec04_fixture.py::test_declared_hardening[SEC-04])"), sec04
    sec02 = next(n for n in notes if "title=SEC-02" in n)
    assert "file=" not in sec02 and sec02.startswith("::error title=SEC-02::SEC-02: "), sec02
    assert "********" in sec02  # the leak attempt happened and was masked


def test_github_step_summary_gets_the_verdict_table_appended(github):
    text = github["summary"]
    assert text.startswith("# earlier step\n## nestgate: NO-GO\n"), text
    assert "| security (Security Validation (CRITICAL)) | NO-GO | 8 | 2 | 0 | 0 | 0 | not every control passed |" \
        in text, text
    assert "| infra (Infrastructure Validation (HIGH PRIORITY)) | GO | 11 | 0 | 0 | 0 | 0 | - |" in text, text
    assert "### Failed controls" in text and "| SEC-04 | Container security hardening" in text
    assert "service app (compose): user is 'root', expected a non-root user" in text
    assert "| compose.yml:4 |" in text and str(github["bundle"]) in text


def test_findings_sarif_is_valid_sarif_2_1_0_with_the_compose_location(github):
    sarif = json.loads((github["bundle"] / "findings.sarif").read_text())
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(sarif), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]][:2] == ["SEC-01", "SEC-02"]
    results = {(r["ruleId"], r["properties"]["subject"]): r for r in run["results"]}
    assert set(results) == {("SEC-04", "service app (compose)"), ("SEC-04", "service db (compose)"),
                            ("SEC-02", "user ********")}
    app = results["SEC-04", "service app (compose)"]
    assert app["level"] == "error" and app["message"]["text"] == (
        "SEC-04: service app (compose): user is 'root', expected a non-root user; "
        "root filesystem is writable, expected read-only")
    assert app["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "compose.yml", "uriBaseId": "PROJECTROOT"},
        "region": {"startLine": 4, "startColumn": 5}}
    assert app["locations"][0]["logicalLocations"] == [{"fullyQualifiedName": "services.app.user", "kind": "member"}]
    db = results["SEC-04", "service db (compose)"]  # no user key: the service node
    assert db["locations"][0]["physicalLocation"]["region"] == {"startLine": 5, "startColumn": 3}
    assert "locations" not in results["SEC-02", "user ********"]  # runtime: no compose line
    assert run["originalUriBaseIds"]["PROJECTROOT"]["uri"] == github["root"].resolve().as_uri() + "/"


def test_gitlab_code_quality_report_is_in_the_verified_bundle(gitlab):
    bundle = gitlab["bundle"]
    assert gitlab["proc"].returncode == 1
    assert not _annotations(gitlab["proc"].stdout)  # not GitHub: no workflow commands
    verify_bundle(bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert {"findings.sarif", "gl-code-quality-report.json"} <= set(manifest["files"])
    assert "gl-code-quality-report.json" in (bundle / "SHA256SUMS").read_text()
    issues = json.loads((bundle / "gl-code-quality-report.json").read_text())
    by_subject = {i["description"].split(":")[1].strip(): i for i in issues}
    app = by_subject["service app (compose)"]
    assert by_subject["evidence unavailable"]["description"] == (
        "SEC-02: evidence unavailable: login with password ******** / ******** refused, Bearer ********")
    assert app["check_name"] == "SEC-04" and app["severity"] == "critical"
    assert app["location"] == {"path": "compose.yml", "lines": {"begin": 4}}
    assert by_subject["evidence unavailable"]["location"] == {"path": "compose.yml", "lines": {"begin": 1}}
    assert len({i["fingerprint"] for i in issues}) == len(issues) == 3
    verify = subprocess.run([sys.executable, "-m", "nestgate.cli", "verify", str(bundle)], capture_output=True,
                            text=True, timeout=120, check=False)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def test_fingerprints_are_stable_across_runs(gitlab, github):
    first = json.loads((gitlab["bundle"] / "gl-code-quality-report.json").read_text())
    sarif = json.loads((github["bundle"] / "findings.sarif").read_text())["runs"][0]["results"]
    assert {i["fingerprint"] for i in first} == {r["partialFingerprints"]["nestgateSubject/v1"] for r in sarif}


@pytest.mark.parametrize("run", ["github", "gitlab"])
def test_no_canary_in_annotations_summary_or_reports(run, request):
    got = request.getfixturevalue(run)
    texts = {"stdout": got["proc"].stdout, "stderr": got["proc"].stderr, "summary": got.get("summary", "")}
    texts |= {p.name: p.read_text(errors="replace") for p in got["bundle"].iterdir()}
    assert "findings.sarif" in texts and ("gl-code-quality-report.json" in texts) == (run == "gitlab")
    for name, text in texts.items():
        for kind, canary in CANARIES.items():
            assert canary not in text, f"{kind} canary leaked into {name}"


def test_a_step_summary_that_cannot_be_written_fails_the_run(tmp_path):
    root = write_suite(tmp_path / "suite")  # every control passes: GO, until the summary fails
    proc = run_suite(root, [], env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path), "GITLAB_CI": ""})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"nestgate: GitHub step summary NOT written: {tmp_path}: Is a directory" in proc.stdout
    assert not _annotations(proc.stdout)  # nothing failed: nothing to annotate
    sarif = json.loads((bundles(root)[0] / "findings.sarif").read_text())
    assert sarif["runs"][0]["results"] == [] and sarif["runs"][0]["invocations"][0]["executionSuccessful"] is True
