"""Pure parts of the CI reports: key positions in compose text, finding -> compose key, located
failures, SARIF and Code Quality documents, GitHub escaping, and the manifest's optional files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from nestgate.gate.bundle import BundleError, verify_bundle, write_evidence, write_manifest
from nestgate.gate.ci_annotations import (
    code_quality,
    escape_data,
    escape_property,
    github_annotations,
    step_summary,
    workflow_command,
)
from nestgate.gate.locations import Failure, Location, Locator, failures, first_line, key_path
from nestgate.gate.sarif import fingerprint, sarif_document
from nestgate.probes.readers.yaml_positions import YamlPositionError, compose_root, key_position

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())

COMPOSE = """\
x-base: &base
  read_only: true
services:
  app:
    <<: *base
    user: root
    environment:
      - DATABASE_URL=postgres://x
      - NODE_ENV=production
    deploy:
      resources:
        limits:
          memory: 256M
    healthcheck:
      test: ["CMD", "true"]
  "db":
    image: postgres
    ports: ["5432:5432"]
networks:
  backend:
    internal: false
"""


@pytest.mark.parametrize(("path", "line", "column", "matched"), [
    (("services", "app", "user"), 6, 5, 3),
    (("services", "app", "deploy", "resources", "limits"), 12, 9, 5),
    (("services", "app", "environment", "NODE_ENV"), 9, 9, 4),  # list form: the `- NAME=...` item
    (("services", "app", "read_only"), 2, 3, 3),  # merged from the anchor: where it is written
    (("services", "db", "ports"), 18, 5, 3),
    (("services", "db", "user"), 16, 3, 2),  # absent: the service node (quoted key found too)
    (("services", "web", "user"), 3, 1, 1),
    (("volumes",), 1, 1, 0),  # nothing matched: the document start
    (("networks", "backend", "internal"), 21, 5, 3),
])
def test_key_position_walks_as_far_as_the_path_goes(path, line, column, matched):
    pos = key_position(compose_root(COMPOSE), path)
    assert (pos.line, pos.column, len(pos.matched)) == (line, column, matched)


def test_key_position_of_bad_or_empty_yaml():
    with pytest.raises(YamlPositionError, match=r"^line 3: not valid YAML: did not find expected "):
        compose_root("services:\n  app: [unclosed\n")
    assert key_position(compose_root(""), ("services",)).matched == ()


@pytest.mark.parametrize(("cid", "subject", "prop", "path"), [
    ("SEC-04", "service app (compose)", "user", ("services", "app", "user")),
    ("SEC-04", "service app (compose, not in target.services)", "cap_drop", ("services", "app", "cap_drop")),
    ("SEC-04", "service app (compose)", "bind mount", ("services", "app", "volumes")),
    ("SEC-04", "service app (compose)", "network namespace", ("services", "app", "network_mode")),
    ("PRF-02", "service app", "declared limits", ("services", "app", "deploy", "resources", "limits")),
    ("BLD-05", "service app", "healthcheck", ("services", "app", "healthcheck")),
    ("BLD-05", "service app", "interval_s", ("services", "app", "healthcheck", "interval")),
    ("SEC-05", "data service db", "published ports", ("services", "db", "ports")),
    ("SEC-05", "data service db", "networks", ("services", "db", "networks")),
    ("SEC-05", "network backend", "Internal", ("networks", "backend", "internal")),
    ("SEC-02", "service app (compose)", "environment DATABASE_URL", ("services", "app", "environment",
                                                                     "DATABASE_URL")),
    ("INF-02", "service app (compose)", "JWT_SECRET", ("services", "app", "environment", "JWT_SECRET")),
    ("BLD-01", "needs BuildKit", "services.app.build", ("services", "app", "build")),
    ("INF-06", "service app", "something else", ("services", "app")),
    ("BLD-06", "Compose rejects compose.yml", "compose_config_exit_status", None),
])
def test_key_path_of_a_finding(cid, subject, prop, path):
    assert key_path(cid, subject, prop) == path


def _locator(tmp_path: Path) -> Locator:
    (tmp_path / "compose.yml").write_text(COMPOSE)
    (tmp_path / "override.yml").write_text("services:\n  app:\n    user: \"1000\"\n")
    return Locator([tmp_path / "compose.yml", tmp_path / "override.yml"])


def test_locator_prefers_the_later_file_and_falls_back_to_the_service_then_the_file(tmp_path):
    loc = _locator(tmp_path)
    assert loc.locate(("services", "app", "user")) == Location(tmp_path / "override.yml", 3, 5, "services.app.user")
    assert loc.locate(("services", "db", "user")) == Location(tmp_path / "compose.yml", 16, 3, "services.db")
    assert loc.locate(("services", "app", "healthcheck")).path == tmp_path / "compose.yml"
    assert loc.locate(("configs", "x")) == Location(tmp_path / "compose.yml")  # the file
    assert loc.locate(None) is None and loc.notes == []


def test_locator_notes_an_unreadable_or_broken_file_and_points_at_the_file(tmp_path):
    (tmp_path / "bad.yml").write_text("services: [\n")
    loc = Locator([tmp_path / "bad.yml", tmp_path / "missing.yml"])
    assert loc.locate(("services", "app")) == Location(tmp_path / "bad.yml")
    assert [n.split(":", 1)[0] for n in loc.notes] == [str(tmp_path / "bad.yml"), str(tmp_path / "missing.yml")]
    assert "line 2: not valid YAML" in loc.notes[0]


RECORDS = [
    {"nodeid": "tests_security/test_sec04.py::test_declared[SEC-04]", "control_id": "SEC-04", "outcome": "failed",
     "message": "[call] SEC-04: service app (compose): user is 'root', expected a non-root user; root filesystem is "
                "writable; service db (compose): user is '(unset)', expected a non-root user\nmore",
     "findings": [{"subject": "service app (compose)", "property": "user", "message":
                   "service app (compose): user is 'root', expected a non-root user"},
                  {"subject": "service app (compose)", "property": "read_only", "message":
                   "service app (compose): root filesystem is writable"},
                  {"subject": "service db (compose)", "property": "user", "message":
                   "service db (compose): user is '(unset)', expected a non-root user"}]},
    {"nodeid": "tests_security/test_sec04.py::test_running[SEC-04[app]]", "control_id": "SEC-04",
     "outcome": "error", "message": "[setup] SEC-04: evidence unavailable: no engine\nmore", "findings": []},
    {"nodeid": "tests_security/test_sec02.py::test_z[SEC-02]", "control_id": "SEC-02", "outcome": "failed",
     "message": "[call] SEC-02: evidence unavailable: login refused", "findings": [
         {"subject": "user x", "property": "token", "message": "user x: token accepted"}]},
    {"nodeid": "tests_build/test_bld05.py::test_x[BLD-05]", "control_id": "BLD-05", "outcome": "passed",
     "message": "", "findings": []},
    {"nodeid": "tests_infra/test_inf02.py::test_y[INF-02]", "control_id": "INF-02", "outcome": "waived",
     "message": "x", "findings": []},
]
SIDES = {RECORDS[0]["nodeid"]: "declared", RECORDS[1]["nodeid"]: "runtime"}


def _failures(tmp_path: Path) -> list[Failure]:
    return failures(RECORDS, SIDES, _locator(tmp_path))


def test_failures_one_per_failed_test_and_subject_located_on_the_declared_side(tmp_path):
    found = _failures(tmp_path)
    assert [(f.control_id, f.outcome, f.subject, f.message) for f in found] == [
        ("SEC-04", "failed", "service app (compose)",
         "SEC-04: service app (compose): user is 'root', expected a non-root user; root filesystem is writable"),
        ("SEC-04", "failed", "service db (compose)", "SEC-04: service db (compose): user is '(unset)', "
                                                      "expected a non-root user"),
        ("SEC-04", "error", "", "SEC-04: evidence unavailable: no engine"),
        # a failure not worded from its findings keeps its own first line
        ("SEC-02", "failed", "user x", "SEC-02: evidence unavailable: login refused")]
    assert found[0].location == Location(tmp_path / "override.yml", 3, 5, "services.app.user")
    assert found[2].location is None  # runtime: not a compose line
    assert first_line("[teardown] X: y\nz") == "X: y"


def test_sarif_document_is_schema_valid_with_rules_from_the_catalog(tmp_path):
    doc = sarif_document(_failures(tmp_path), "0.1.0", tmp_path, complete=False, notes=["compose.yml: odd"])
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    run = doc["runs"][0]
    rule = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "SEC-04")
    assert rule["shortDescription"]["text"] == "Container security hardening verified (non-root, capabilities)"
    assert rule["help"]["text"].startswith("Passes when: non-root process") and rule["properties"]["gate"] == "security"
    assert [r["ruleId"] for r in run["results"]] == ["SEC-04"] * 3 + ["SEC-02"]
    assert run["tool"]["driver"]["rules"][run["results"][0]["ruleIndex"]]["id"] == "SEC-04"
    assert run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "override.yml", "uriBaseId": "PROJECTROOT"}
    assert run["invocations"][0]["executionSuccessful"] is False
    assert run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"] == "compose.yml: odd"
    outside = sarif_document(_failures(tmp_path), "0.1.0", tmp_path / "elsewhere", complete=True)
    jsonschema.Draft4Validator(SCHEMA).validate(outside)
    assert outside["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": (tmp_path / "override.yml").as_uri()}
    jsonschema.Draft4Validator(SCHEMA).validate(sarif_document([], "0.1.0", None, complete=True))


def test_code_quality_issues_have_a_path_a_line_and_a_stable_fingerprint(tmp_path):
    found = _failures(tmp_path)
    issues = code_quality(found, tmp_path, tmp_path / "compose.yml")
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("SEC-04", "critical", {"path": "override.yml", "lines": {"begin": 3}}),
        ("SEC-04", "critical", {"path": "compose.yml", "lines": {"begin": 16}}),
        ("SEC-04", "critical", {"path": "compose.yml", "lines": {"begin": 1}}),
        ("SEC-02", "critical", {"path": "compose.yml", "lines": {"begin": 1}})]
    assert issues[0]["description"] == found[0].message
    assert [i["fingerprint"] for i in issues] == [fingerprint(f) for f in _failures(tmp_path)]
    assert len({i["fingerprint"] for i in issues}) == 4


@pytest.mark.parametrize(("text", "data", "prop"), [
    ("50% done", "50%25 done", "50%25 done"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("k: v, w", "k: v, w", "k%3A v%2C w"),
    ("%0A", "%250A", "%250A"),  # an escape sequence in the text is not read as one
])
def test_github_escaping(text, data, prop):
    assert escape_data(text) == data and escape_property(text) == prop


def test_github_annotations_one_per_failed_test(tmp_path):
    assert workflow_command("error", "m") == "::error::m"
    lines = github_annotations(_failures(tmp_path), tmp_path, errors=["evidence NOT written: disk full"])
    assert lines == [
        "::error file=override.yml,line=3,col=5,title=SEC-04::SEC-04: service app (compose): user is 'root', "
        "expected a non-root user; root filesystem is writable; service db (compose): user is '(unset)', expected a "
        "non-root user (tests_security/test_sec04.py::test_declared[SEC-04])",
        "::error title=SEC-04::SEC-04: evidence unavailable: no engine "
        "(tests_security/test_sec04.py::test_running[SEC-04[app]])",
        "::error title=SEC-02::SEC-02: evidence unavailable: login refused "
        "(tests_security/test_sec02.py::test_z[SEC-02])",
        "::error title=nestgate::evidence NOT written: disk full"]


def test_step_summary_table_escapes_cells(tmp_path):
    verdicts = [{"gate": "security", "verdict": "NO-GO", "passed": 8, "failed": 2, "errors": 1, "waived": 0,
                 "not_run": 0, "reason": "not every control passed | <b>x</b>"}]
    text = step_summary(verdicts, _failures(tmp_path), go=False, bundle=None)
    assert text.startswith("## nestgate: NO-GO\n")
    assert ("| security (Security Validation (CRITICAL)) | NO-GO | 8 | 2 | 1 | 0 | 0 | "
            "not every control passed \\| &lt;b&gt;x&lt;/b&gt; |") in text
    assert "| override.yml:3 |" in text and text.count("| SEC-04 |") == 2


def _bundle(tmp_path: Path, *names: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    for name in ("report.html", "junit.xml", *names):
        (tmp_path / name).write_text(name)
    write_evidence(tmp_path, {"controls": [], "verdict": {}})
    return tmp_path


def test_the_manifest_hashes_findings_sarif_and_the_code_quality_report_when_present(tmp_path):
    with pytest.raises(BundleError, match=r"not written: findings\.sarif"):
        write_manifest(_bundle(tmp_path / "a"), {})
    bundle = _bundle(tmp_path / "b", "findings.sarif", "gl-code-quality-report.json")
    assert set(write_manifest(bundle, {})["files"]) == {"report.html", "junit.xml", "evidence.json",
                                                         "findings.sarif", "gl-code-quality-report.json"}
    verify_bundle(bundle)
    (bundle / "findings.sarif").write_text("changed")
    with pytest.raises(BundleError, match=r"findings.sarif: SHA-256 "):
        verify_bundle(bundle)


def test_an_older_bundle_without_sarif_verifies_and_an_unlisted_report_does_not(tmp_path):
    bundle = _bundle(tmp_path, "findings.sarif")
    manifest = write_manifest(bundle, {})
    del manifest["files"]["findings.sarif"]  # as written before issue 18
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    (bundle / "findings.sarif").unlink()
    verify_bundle(bundle)
    (bundle / "gl-code-quality-report.json").write_text("[]")
    with pytest.raises(BundleError, match=r"gl-code-quality-report\.json: extra: not in the manifest"):
        verify_bundle(bundle)
