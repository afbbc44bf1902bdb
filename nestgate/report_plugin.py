"""The evidence bundle as a pytest plugin: HTML columns and extras, evidence.json, the manifest.

Registered by nestgate.plugin on the controller only (never on an xdist worker). Everything it
shows comes from report.user_properties, which the worker fills and xdist carries over, so a
run with `-n auto` produces the same evidence as a serial one.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from nestgate.catalog import CONTROLS, GATES
from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError
from nestgate.redact import REDACTOR
from nestgate.report_bundle import BundleError, verify_bundle, write_evidence, write_manifest
from nestgate.verdict import WAIVER_PROP, VerdictPlugin, control_of_report, outcome_of, prop, worst

EVIDENCE_PROP = "nestgate.evidence"
# (column class, header, evidence key); the first two sort.
COLUMNS = [("ngControl", "Control", "control_id"), ("ngGate", "Gate", "gate"),
           ("ngLine", "Checklist line", "checklist_line"), ("ngMeasured", "Measured", "measured"),
           ("ngThreshold", "Threshold", "threshold"), ("ngSource", "Source", "sources"),
           ("ngTarget", "Target", "target"), ("ngTime", "Timestamp", "timestamp"), ("ngWaiver", "Waiver", "waiver")]
CELL_LIMIT = 300


def compact(value: Any) -> str:
    """One readable line for a table cell; the full value is in the extras and evidence.json."""
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, dict) and {"justification", "owner"} <= set(value):
        text = f"{value['justification']} (owner {value['owner']}, expires {value['expires']})"
    elif isinstance(value, dict):
        text = "; ".join(f"{k}: {v if isinstance(v, str) else json.dumps(v)}" for k, v in value.items())
    elif isinstance(value, list):
        text = "; ".join(str(v) for v in value)
    else:
        text = str(value)
    return text if len(text) <= CELL_LIMIT else text[:CELL_LIMIT - 1] + "…"


def evidence_html(record: dict[str, Any]) -> str:
    """The expandable extra of a row: every evidence field, values in full."""
    rows = "".join(
        f"<tr><th style='text-align:left;vertical-align:top;padding-right:1em'>{html.escape(label)}</th>"
        f"<td><pre style='margin:0;white-space:pre-wrap'>"
        f"{html.escape(v if isinstance(v, str) else json.dumps(v, indent=2))}</pre></td></tr>"
        for _, label, key in COLUMNS for v in [record.get(key)] if v not in (None, "", [], {}))
    return f"<div class='nestgate-evidence'><b>nestgate evidence</b><table>{rows}</table></div>"


def report_evidence(report: pytest.TestReport) -> dict[str, Any] | None:
    raw = prop(report, EVIDENCE_PROP)
    if raw is None:
        return None
    record = json.loads(raw)
    waiver = prop(report, WAIVER_PROP)
    if waiver:
        record["waiver"] = json.loads(waiver)
    return record


def _message(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    text = longrepr[2] if isinstance(longrepr, tuple) else report.longreprtext
    # xdist heads a worker's failure with "[gw1] linux -- Python ...": not part of the message
    text = re.sub(r"^\[gw\d+\] [^\n]* -- Python [^\n]*\n", "", text.strip())
    return REDACTOR.scrub(text.strip())[:4000]


class BundlePlugin:
    def __init__(self, bundle: Path, cfg: LoadedConfig | None, verdict: VerdictPlugin,
                 copy_html: Path | None, copy_junit: Path | None, run_info: dict[str, Any]) -> None:
        self.bundle = bundle
        self.cfg = cfg
        self.verdict = verdict
        self.copy_html = copy_html
        self.copy_junit = copy_junit
        self.run_info = run_info
        self.records: dict[str, dict[str, Any]] = {}
        self.started = dt.datetime.now(dt.UTC)
        self.error: str | None = None

    # -- gather ----------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        cid = control_of_report(report)
        if cid is None:
            return
        control = CONTROLS[cid]
        rec = self.records.setdefault(report.nodeid, {
            "nodeid": report.nodeid, "control_id": cid, "gate": control.gate,
            "checklist_line": control.checklist_line, "outcome": "passed", "message": "",
            "target": "", "measured": {}, "threshold": {}, "sources": [],
            "timestamp": dt.datetime.fromtimestamp(getattr(report, "start", 0) or dt.datetime.now().timestamp(),
                                                   dt.UTC).isoformat(timespec="seconds"),
            "duration_s": 0.0, "waiver": None})
        rec["outcome"] = worst(rec["outcome"], outcome_of(report))
        rec["duration_s"] = round(rec["duration_s"] + report.duration, 3)
        if not report.passed:
            rec["message"] = "\n".join(m for m in (rec["message"], f"[{report.when}] {_message(report)}") if m)
        evidence = report_evidence(report)
        if evidence:
            rec.update({k: evidence[k] for k in ("target", "measured", "threshold", "sources", "timestamp",
                                                 "waiver") if k in evidence})

    # -- pytest-html -----------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        for offset, (cls, label, _) in enumerate(COLUMNS):
            sortable = ' class="sortable"' if offset < 2 else ""
            cells.insert(2 + offset, f'<th{sortable} data-column-type="{cls}">{label}</th>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        record = report_evidence(report) or {}
        for offset, (cls, _, key) in enumerate(COLUMNS):
            cells.insert(2 + offset, f'<td class="col-{cls}">{html.escape(compact(record.get(key)))}</td>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = f"nestgate evidence: {self.bundle.name}"

    # -- finish ----------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Any:
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
            line = f"nestgate evidence: {self.bundle} (manifest verified)"
        if reporter is not None:
            reporter.write_line(line, red=bool(self.error), bold=True)
        else:
            print(line, file=sys.stderr)

    def _finish(self, exitstatus: int) -> None:
        from nestgate.fingerprint import target_fingerprint

        for source, name in ((self.copy_html, "report.html"), (self.copy_junit, "junit.xml")):
            if source is not None:
                if not source.is_file():
                    raise BundleError(f"{source} was not written, so the bundle has no {name}")
                shutil.copyfile(source, self.bundle / name)
        fingerprint = target_fingerprint(self.cfg)
        verdicts = self.verdict.verdicts()
        document = {
            "run": {**self.run_info, "started": self.started.isoformat(timespec="seconds"),
                    "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    "exitstatus": exitstatus, "complete": self.verdict.complete},
            "go": exitstatus == 0 and bool(verdicts) and all(v.go for v in verdicts),
            "verdict": {v.gate: v.to_dict() for v in verdicts},
            "target": fingerprint,
            "controls": sorted(self.records.values(), key=lambda r: (list(GATES).index(r["gate"]), r["nodeid"])),
            "notes": self.verdict.notes,
        }
        write_evidence(self.bundle, REDACTOR.scrub_any(document))
        write_manifest(self.bundle, REDACTOR.scrub_any(fingerprint))
        verify_bundle(self.bundle)
