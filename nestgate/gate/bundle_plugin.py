"""The evidence bundle as a pytest plugin: evidence.json, copies of the HTML and JUnit reports,
findings.sarif (and GitLab's Code Quality report under GitLab CI), the manifest, verified before the
run ends. Under GitHub Actions it also prints one `::error` annotation per failed control test and
appends the verdict table to $GITHUB_STEP_SUMMARY.

Registered by nestgate.gate.configure on the controller only (never on an xdist worker). Everything
it records comes from report.user_properties, which the worker fills and xdist carries over, so a
run with `-n auto` produces the same evidence as a serial one.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import nestgate
from nestgate.catalog import CONTROLS, GATES, SIDES
from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError
from nestgate.gate.bundle import SARIF, BundleError, verify_bundle, write_evidence, write_manifest
from nestgate.gate.ci_annotations import CODE_QUALITY, code_quality, github_annotations, step_summary
from nestgate.gate.fingerprint import target_fingerprint
from nestgate.gate.locations import Failure, Locator, failures
from nestgate.gate.report import report_evidence
from nestgate.gate.sarif import sarif_document
from nestgate.gate.verdict import VerdictPlugin, outcome_of, worst
from nestgate.redact import REDACTOR


def _message(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else report.longreprtext
    # xdist heads a worker's failure with "[gw1] linux -- Python ...": not part of the message
    text = re.sub(r"^\[gw\d+\] [^\n]* -- Python [^\n]*\n", "", text.strip())
    return REDACTOR.scrub(text.strip())[:4000]


class BundlePlugin:
    def __init__(self, bundle: Path, cfg: LoadedConfig | None, verdict: VerdictPlugin,
                 copy_html: Path | None, copy_junit: Path | None, run_info: dict[str, Any],
                 sign_key: Path | None = None) -> None:
        self.bundle = bundle
        self.cfg = cfg
        self.verdict = verdict
        self.copy_html = copy_html
        self.copy_junit = copy_junit
        self.run_info = run_info
        self.sign_key = sign_key
        self.fingerprint: dict[str, Any] = {}  # read at session finish, shared with report.html
        self.records: dict[str, dict[str, Any]] = {}
        self.started = dt.datetime.now(dt.UTC)
        self.error: str | None = None
        self.plugins: list[str] = []
        self.sides: dict[str, str] = {}  # nodeid -> declared / runtime (its side marker)
        self.failures: list[Failure] = []
        self.go = False  # the bundle's overall verdict, once written

    # -- gather ----------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        cid = self.verdict.gate_control(report)
        if cid is None:
            return
        control = CONTROLS[cid]
        self.sides.setdefault(report.nodeid, next((s for s in SIDES if s in report.keywords), ""))
        rec = self.records.setdefault(report.nodeid, {
            "nodeid": report.nodeid, "control_id": cid, "gate": control.gate,
            "checklist_line": control.checklist_line, "outcome": "passed", "message": "",
            "target": "", "measured": {}, "threshold": {}, "sources": [], "findings": [],
            "timestamp": dt.datetime.fromtimestamp(getattr(report, "start", 0) or dt.datetime.now().timestamp(),
                                                   dt.UTC).isoformat(timespec="seconds"),
            "duration_s": 0.0, "waiver": None})
        rec["outcome"] = worst(rec["outcome"], outcome_of(report))
        rec["duration_s"] = round(rec["duration_s"] + report.duration, 3)
        if not report.passed:
            rec["message"] = "\n".join(m for m in (rec["message"], f"[{report.when}] {_message(report)}") if m)
        evidence = report_evidence(report)
        if evidence:
            rec.update({k: evidence[k] for k in ("target", "measured", "threshold", "sources", "findings",
                                                 "waivers_used", "timestamp", "waiver") if k in evidence})

    # -- finish ----------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
        # Every plugin and conftest module (beyond pytest's own) that could hook into the run, with its file.
        self.plugins = sorted({f"{name}: {getattr(plugin, '__file__', '')}" for name, plugin
                               in session.config.pluginmanager.list_name_plugin()
                               if isinstance(plugin, types.ModuleType) and not plugin.__name__.startswith("_pytest")})
        # Read once, before pytest-html renders it: the HTML and the manifest show the same target.
        self.fingerprint = target_fingerprint(self.cfg)
        yield  # pytest-html, junitxml and the terminal summary do their work first
        try:
            self._finish(int(session.exitstatus))
        except (NestgateError, OSError) as exc:
            self.error = REDACTOR.scrub(str(exc))
        except Exception as exc:  # a bug here must still refuse, in one line, not crash pytest
            self.error = REDACTOR.scrub(f"{type(exc).__name__}: {exc}")
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if self.error:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED  # no verified evidence, no GO
            line = f"nestgate: evidence NOT written: {self.error}"
        else:
            line = f"nestgate evidence: {self.bundle} (manifest verified{', signed' if self.sign_key else ''})"
        lines = [line]
        if os.environ.get("GITHUB_ACTIONS") == "true":
            try:
                lines = self._github(lines)
            except Exception as exc:  # a bug here must not crash pytest nor pass quietly
                lines.append(REDACTOR.scrub(f"nestgate: GitHub annotations NOT written: {type(exc).__name__}: {exc}"))
            if any(text.startswith("nestgate: GitHub ") for text in lines):
                session.exitstatus = pytest.ExitCode.TESTS_FAILED
        for text in lines:
            if reporter is not None:
                reporter.write_line(text, red=text.startswith(("nestgate: ", "::error")), bold=text is line)
            else:
                print(text, file=sys.stderr)

    def _github(self, lines: list[str]) -> list[str]:
        """Annotations after the verdict line; the job summary appended (a failure to write it fails the run:
        a pipeline that promised a summary must not show green without one)."""
        errors = [f"evidence NOT written: {self.error}"] if self.error else []
        workspace = Path(os.environ["GITHUB_WORKSPACE"]) if os.environ.get("GITHUB_WORKSPACE") else None
        out = [*lines, *(REDACTOR.scrub(a) for a in github_annotations(self.failures, workspace, errors))]
        summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
        if not summary_file:
            return [*out, "nestgate: GitHub step summary NOT written: $GITHUB_STEP_SUMMARY is not set"]
        verdicts = [{"gate": v.gate, **v.to_dict()} for v in self.verdict.verdicts()]
        text = REDACTOR.scrub(step_summary(verdicts, self.failures, self.go and not self.error, self.bundle, errors))
        try:
            with open(summary_file, "a", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            return [*out, f"nestgate: GitHub step summary NOT written: {summary_file}: {exc.strerror or exc}"]
        return out

    def _finish(self, exitstatus: int) -> None:
        for source, name in ((self.copy_html, "report.html"), (self.copy_junit, "junit.xml")):
            if source is not None:
                if not source.is_file():
                    raise BundleError(f"{source} was not written, so the bundle has no {name}")
                shutil.copyfile(source, self.bundle / name)
        fingerprint = dict(self.fingerprint)
        if self.run_info.get("deploy_manifest_sha256"):  # ties this report to one deployment
            fingerprint["deploy_manifest_sha256"] = self.run_info["deploy_manifest_sha256"]
        verdicts = self.verdict.verdicts()
        document = {
            "run": {**self.run_info, "plugins": self.plugins, "started": self.started.isoformat(timespec="seconds"),
                    "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "exitstatus": exitstatus, "complete": self.verdict.complete},
            "go": exitstatus == 0 and bool(verdicts) and all(v.go for v in verdicts),
            "verdict": {v.gate: v.to_dict() for v in verdicts},
            "target": fingerprint,
            "controls": sorted(self.records.values(), key=lambda r: (list(GATES).index(r["gate"]), r["nodeid"])),
            "waivers_used": self.verdict.waivers_used,
            "notes": self.verdict.notes,
        }
        self.go = document["go"]
        write_evidence(self.bundle, REDACTOR.scrub_any(document))
        self._write_findings(REDACTOR.scrub_any(document["controls"]))
        write_manifest(self.bundle, REDACTOR.scrub_any(fingerprint), self.sign_key)
        verify_bundle(self.bundle)

    def _write_findings(self, records: list[dict[str, Any]]) -> None:
        """findings.sarif, and gl-code-quality-report.json under GitLab CI, from the redacted records."""
        paths = self.cfg.compose_paths if self.cfg is not None else []
        locator = Locator(paths, self.cfg.project_dir if self.cfg is not None else None)
        self.failures = failures(records, self.sides, locator)
        base = self.cfg.project_dir if self.cfg is not None else None
        sarif = sarif_document(self.failures, nestgate.__version__, base, self.verdict.complete, locator.notes)
        _write(self.bundle / SARIF, REDACTOR.scrub_any(sarif))
        if os.environ.get("GITLAB_CI") == "true":
            issues = code_quality(self.failures, base, paths[0] if paths else None)
            _write(self.bundle / CODE_QUALITY, REDACTOR.scrub_any(issues))


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
