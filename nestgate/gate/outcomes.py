"""Outcomes of gate tests: fail closed, one clear line, no secrets, evidence on every report.

Every gate test's report carries its evidence as user properties (nestgate.control, .gate,
.checklist_line, .target, .measured, .threshold, .sources, .timestamp, .evidence, and .waiver when
waived): they travel through xdist, become JUnit <property> elements, HTML columns and extras, and
evidence.json records (nestgate.gate.bundle_plugin). A failure of a control with an unexpired
waiver (--waivers=FILE) is reported as skipped with reason "WAIVED ... | failure: ...".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from nestgate.catalog import CONTROLS
from nestgate.errors import NestgateError
from nestgate.gate.collection import control_of, is_gate_test
from nestgate.gate.evidence import Evidence
from nestgate.gate.report import evidence_html
from nestgate.gate.state import EVIDENCE_KEY, loaded_config, run_waivers
from nestgate.gate.verdict import CONTROL_PROP, WAIVER_PROP
from nestgate.gate.waivers import active_waiver
from nestgate.redact import REDACTOR
from nestgate.rules.findings import Findings
from nestgate.rules.messages import CAP, capped


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not is_gate_test(item):
        return
    cid = control_of(item)
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, NestgateError):
        report.longrepr = f"{cid}: evidence unavailable: {excinfo.value}"
    elif excinfo is not None and excinfo.errisinstance(AssertionError) and report.when == "call":
        findings = _recorded_findings(item)
        report.longrepr = f"{cid}: {findings.message if findings else control_message(excinfo.value)}"
    elif report.when == "call" and report.passed and (findings := _recorded_findings(item)):
        # A control whose rules found something did not pass, whatever its own assert said.
        report.outcome = "failed"
        report.longrepr = f"{cid}: {findings.message} (recorded findings, yet the control did not fail on them)"
    elif report.when == "call" and report.passed and not _has_evidence(item):
        # A pass is a judgement on evidence: with nothing read and nothing measured there was none.
        report.outcome = "failed"
        report.longrepr = f"{cid}: recorded no evidence (a pass needs at least one source and one measurement)"
    elif excinfo is not None and "from pytest-timeout" in str(excinfo.value):
        # A hung probe fails its own control, in one line naming what it was waiting for.
        ev = item.stash.get(EVIDENCE_KEY, None)
        last = f"; last source: {ev.sources[-1]}" if ev is not None and ev.sources else ""
        report.longrepr = f"{cid}: evidence unavailable: hung: {str(excinfo.value).strip()}{last}"
    if report.skipped:
        # A control never skips: a skip (or xfail) is counted as a failure with its reason.
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if hasattr(report, "wasxfail"):
            reason = f"xfail: {report.wasxfail}"
            del report.wasxfail
        report.outcome = "failed"
        report.longrepr = f"{cid}: a control may not skip ({reason})"
    if report.failed and isinstance(report.longrepr, str):
        # One capped line wherever the failure came from (a probe's error, a control's own assert);
        # findings are capped in their message already and stay whole in the evidence.
        report.longrepr = capped(report.longrepr, CAP)
    waiver = _waive(item, report, cid)
    _scrub(report)
    props: list[tuple[str, str]] = []
    if report.when == "call" or not report.passed:
        props.append((CONTROL_PROP, cid or ""))
    if cid in CONTROLS and (report.when == "call" or (report.when == "setup" and not report.passed)):
        record = _evidence_record(item, cid)
        props += [(f"nestgate.{name}", REDACTOR.scrub(value if isinstance(value, str) else json.dumps(value)))
                  for name, value in record.items() if name != "control_id"]
        props.append(("nestgate.evidence", json.dumps(REDACTOR.scrub_any(record))))
        if waiver is not None:
            props.append((WAIVER_PROP, json.dumps(waiver)))
        _add_html_extra(report, REDACTOR.scrub_any({**record, "waiver": waiver}))
    # The report is what xdist and the HTML row see; junitxml writes the item's list (it reads
    # the teardown report, which pytest builds from item.user_properties).
    for target in (report.user_properties, item.user_properties):
        target.extend(p for p in props if p not in target)


def _waive(item: pytest.Item, report: pytest.TestReport, cid: str | None) -> dict[str, Any] | None:
    """A failure of a control with an unexpired waiver is reported as skipped, reason WAIVED."""
    if not report.failed or cid is None:
        return None
    waiver = active_waiver(run_waivers(item.config), cid)
    if waiver is None:
        return None
    failure = (report.longreprtext or "").strip().splitlines() or ["(no message)"]
    reason = (f"{cid}: WAIVED until {waiver.expires} (owner {waiver.owner}): {waiver.justification}"
              f" | failure: {failure[-1] if len(failure) > 1 and not failure[0].startswith(cid) else failure[0]}")
    report.outcome = "skipped"
    report.longrepr = (str(item.path), (item.location[1] or 0) + 1, reason)
    return {"id": waiver.id, "justification": waiver.justification, "owner": waiver.owner,
            "expires": waiver.expires.isoformat(), "line": waiver.line, "failure": "\n".join(failure[:20])}


def _has_evidence(item: pytest.Item) -> bool:
    ev = item.stash.get(EVIDENCE_KEY, None)
    return ev is not None and bool(ev.sources) and bool(ev.measured)


def _recorded_findings(item: pytest.Item) -> Findings:
    ev = item.stash.get(EVIDENCE_KEY, None)
    return ev.findings if ev is not None else Findings()


def _evidence_record(item: pytest.Item, cid: str) -> dict[str, Any]:
    ev = item.stash.get(EVIDENCE_KEY, None)
    if ev is None:  # the control failed before it asked for evidence: still say what and where
        cfg = loaded_config(item.config)
        ev = Evidence(control_id=cid, target=cfg.model.target.stack if cfg else "")
    return ev.to_dict()


def _add_html_extra(report: pytest.TestReport, record: dict[str, Any]) -> None:
    try:
        from pytest_html import extras
    except ImportError:  # pragma: no cover - pytest-html is a dependency
        return
    report.extras = [*getattr(report, "extras", []), extras.html(evidence_html(record))]


def control_message(error: BaseException) -> str:
    """The control's own assertion message, without pytest's rewritten `assert ...` explanation
    (which an auditor cannot read); a bare `assert` keeps that explanation, being all there is."""
    text = str(error)
    message, sep, _ = text.partition("\nassert ")
    return message if sep and message.strip() else text


def _scrub(report: pytest.TestReport) -> None:
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):
            report.longrepr = REDACTOR.scrub_any(report.longrepr)
        else:
            text = str(report.longrepr)
            clean = REDACTOR.scrub(text)
            if clean != text:
                report.longrepr = clean
    report.sections = [(name, REDACTOR.scrub(content)) for name, content in report.sections]


@pytest.hookimpl(tryfirst=True)
def pytest_warning_recorded(warning_message: Any, when: str, nodeid: str, location: Any) -> None:
    """The warnings summary prints messages verbatim: scrub them before the terminal sees them."""
    text = str(warning_message.message)
    clean = REDACTOR.scrub(text)
    if clean != text:
        try:
            warning_message.message = warning_message.category(clean)
        except Exception:
            warning_message.message = UserWarning(clean)
