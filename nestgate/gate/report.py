"""The HTML report, read as evidence: a head with the verdict per gate, the waivers used and where
its manifest is (nestgate.gate.report_header); the target fingerprint in the environment table; one
column per evidence field as `key: value` lines (nestgate.gate.report_text), each control's checklist
line beside its ID, failures first; every field in full in each row's extra. Rows come from
report.user_properties, so xdist runs show the same."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pytest
from pytest_metadata.plugin import metadata_key

from nestgate.catalog import CONTROLS
from nestgate.gate.fingerprint import target_fingerprint
from nestgate.gate.report_header import environment, header_html, text
from nestgate.gate.report_text import cell_text, kv_lines
from nestgate.gate.state import loaded_config
from nestgate.gate.verdict import WAIVER_PROP, VerdictPlugin, control_of_report, prop
from nestgate.redact import REDACTOR

EVIDENCE_PROP = "nestgate.evidence"
# (column class, header, evidence key, sortable)
COLUMNS = [("ngControl", "Control", "control_id", True), ("ngLine", "Checklist line", "checklist_line", False),
           ("ngGate", "Gate", "gate", True), ("ngFindings", "Findings", "findings", False),
           ("ngMeasured", "Measured", "measured", False), ("ngThreshold", "Threshold", "threshold", False),
           ("ngSource", "Source", "sources", False), ("ngTarget", "Target", "target", False),
           ("ngTime", "Timestamp", "timestamp", False), ("ngWaiver", "Waiver", "waiver", False)]


def evidence_html(record: dict[str, Any]) -> str:
    """The expandable extra of a row: every evidence field in full, as `key: value` lines."""
    rows = "".join(
        f"<tr><th style='text-align:left;vertical-align:top;padding-right:1em'>{html.escape(label)}</th>"
        f"<td><pre style='margin:0;white-space:pre-wrap'>{html.escape(chr(10).join(kv_lines(v)))}</pre></td></tr>"
        for _, label, key, _ in COLUMNS for v in [record.get(key)] if v not in (None, "", [], {}))
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


def row_record(report: pytest.TestReport) -> dict[str, Any]:
    """A row's evidence; a report without any (an xdist crash, a collection error) still names its
    control and checklist line from the catalog when its test ID carries one."""
    record = report_evidence(report) or {}
    cid = record.get("control_id") or control_of_report(report)
    if cid in CONTROLS:
        control = CONTROLS[cid]
        record = {"control_id": cid, "gate": control.gate, "checklist_line": control.checklist_line, **record}
    return record


class HtmlColumns:
    """pytest-html hooks: the title, the verdict head, the target in the environment table, the
    evidence columns, failures first."""

    def __init__(self, title: str) -> None:
        self.title = title

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = self.title
        # pytest-html's "result" order puts errors and failures first; an ini `initial_sort` must not
        # bury them in the auditor's artifact (a reader can still sort by any column)
        report.set_data("initialSort", "result")

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        for offset, (cls, label, _, sortable) in enumerate(COLUMNS):
            sort = ' class="sortable"' if sortable else ""
            cells.insert(2 + offset, f'<th{sort} data-column-type="{cls}">{label}</th>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        record = row_record(report)
        for offset, (cls, _, key, _) in enumerate(COLUMNS):
            cells.insert(2 + offset, f'<td class="col-{cls}">{html.escape(cell_text(record.get(key)))}</td>')

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str], postfix: list[str],
                                    session: pytest.Session) -> None:
        try:
            prefix.insert(0, self._head(session))
        except Exception as exc:  # the report must still be written, and say what it lacks
            prefix.insert(0, f"<h2 class='ng-overall ng-nogo'>nestgate verdict: not shown here ({text(exc)}); "
                             "the terminal and evidence.json have it</h2>")

    def _head(self, session: pytest.Session) -> str:
        config = session.config
        verdict = config.pluginmanager.get_plugin("nestgate-verdict")
        if not isinstance(verdict, VerdictPlugin):
            raise RuntimeError("the nestgate verdict plugin is not registered")
        bundle_plugin = config.pluginmanager.get_plugin("nestgate-bundle")
        bundle: Path | None = getattr(bundle_plugin, "bundle", None)
        run_info: dict[str, Any] = getattr(bundle_plugin, "run_info", {})
        verdicts = verdict.verdicts()
        # pytest-metadata's dict is the one pytest-html renders: the target goes first, in place
        # The bundle's reading when there is a bundle (the manifest holds the same one), else our own.
        fingerprint = getattr(bundle_plugin, "fingerprint", None) or target_fingerprint(loaded_config(config))
        rows = environment(REDACTOR.scrub_any(fingerprint), verdicts,
                           verdict.waivers_used, bundle, run_info.get("deploy_manifest_sha256"))
        metadata = config.stash[metadata_key]
        rest = dict(metadata)
        metadata.clear()
        metadata.update({**rows, **{k: v for k, v in rest.items() if k not in rows}})
        return header_html(verdicts, verdict.waivers_used, verdict.notes,
                           session.exitstatus == pytest.ExitCode.OK, bundle)
