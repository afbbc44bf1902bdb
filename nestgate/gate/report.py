"""The HTML report's evidence: one column per evidence field, and every field in full in each
row's extra. Everything comes from report.user_properties, so xdist runs show the same."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest

from nestgate.gate.verdict import WAIVER_PROP, prop

EVIDENCE_PROP = "nestgate.evidence"
# (column class, header, evidence key); the first two sort.
COLUMNS = [("ngControl", "Control", "control_id"), ("ngGate", "Gate", "gate"),
           ("ngLine", "Checklist line", "checklist_line"), ("ngFindings", "Findings", "findings"),
           ("ngMeasured", "Measured", "measured"),
           ("ngThreshold", "Threshold", "threshold"), ("ngSource", "Source", "sources"),
           ("ngTarget", "Target", "target"), ("ngTime", "Timestamp", "timestamp"), ("ngWaiver", "Waiver", "waiver")]
CELL_LIMIT = 300


def compact(value: Any) -> str:
    """One readable line for a table cell; the full value is in the extras and evidence.json."""
    if value in (None, "", [], {}):
        return ""
    if isinstance(value, dict) and {"justification", "owner"} <= set(value):
        text = f"{value['justification']} (owner {value['owner']}, expires {value['expires']})"
    elif isinstance(value, list) and all(isinstance(v, dict) and "message" in v for v in value):
        text = "; ".join(str(v["message"]) for v in value)  # findings
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


class HtmlColumns:
    """pytest-html hooks: the evidence columns and the report's title."""

    def __init__(self, title: str) -> None:
        self.title = title

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
        report.title = self.title
