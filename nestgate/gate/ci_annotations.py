"""What CI runners show: GitHub Actions workflow commands (`::error file=,line=,title=::`) and the job
summary table, and GitLab's Code Quality report. Built from the same located failures as
findings.sarif; every text here comes from redacted evidence.

GitHub: https://docs.github.com/actions/reference/workflow-commands-for-github-actions (escaping as
its toolkit's command.ts does). GitLab: the Code Quality report format (a JSON array of issues).
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nestgate.catalog import CONTROLS, GATES
from nestgate.gate.locations import Failure
from nestgate.gate.sarif import fingerprint

CODE_QUALITY = "gl-code-quality-report.json"
# Code Quality severities (info, minor, major, critical, blocker) by the gate's priority.
_SEVERITY = {"security": "critical", "build": "critical", "performance": "major", "infra": "major"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def workflow_command(command: str, message: str, **props: str | int | None) -> str:
    """`::command k=v,k=v::message`, properties without a value left out."""
    given = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v not in (None, ""))
    return f"::{command}{' ' + given if given else ''}::{escape_data(message)}"


def per_test(found: Iterable[Failure]) -> list[Failure]:
    """One failure per control test: the first located subject, else the first; message = the test's
    subjects joined, as its failure line says them."""
    tests: dict[str, list[Failure]] = {}
    for f in found:
        tests.setdefault(f.nodeid, []).append(f)
    out = []
    for group in tests.values():
        lead = next((f for f in group if f.location is not None and f.location.line is not None), group[0])
        rest = [f.message.removeprefix(f"{f.control_id}: ") for f in group
                if f is not lead and f.message != lead.message]
        message = "; ".join(dict.fromkeys([lead.message, *rest]))
        out.append(Failure(lead.control_id, lead.nodeid, lead.outcome, lead.side, lead.subject, message,
                           lead.location))
    return out


def github_annotations(found: Iterable[Failure], workspace: Path | None, errors: Iterable[str] = ()) -> list[str]:
    """One `::error` per failed control test (file/line where the finding is declared), then one per
    run-level error (evidence not written)."""
    lines = []
    for f in per_test(found):
        where = f.location
        lines.append(workflow_command(
            "error", f"{f.message} ({f.nodeid})", file=where.relative_to(workspace) if where else None,
            line=where.line if where else None, col=where.column if where else None, title=f.control_id))
    lines += [workflow_command("error", text, title="nestgate") for text in errors]
    return lines


def _cell(text: Any) -> str:
    """A Markdown table cell: no HTML, no pipes, one line."""
    return html.escape(" ".join(str(text).split()), quote=False).replace("|", "\\|")


def step_summary(verdicts: Iterable[Mapping[str, Any]], found: Iterable[Failure], go: bool,
                 bundle: Path | None, errors: Iterable[str] = ()) -> str:
    """The Markdown appended to $GITHUB_STEP_SUMMARY: the verdict per gate, then the failed tests."""
    out = [f"## nestgate: {'GO' if go else 'NO-GO'}", "",
           "| Gate | Verdict | Passed | Failed | Errors | Waived | Not run | Reason |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for v in verdicts:
        out.append("| " + " | ".join(_cell(x) for x in (
            f"{v['gate']} ({GATES[v['gate']]})", v["verdict"], v["passed"], v["failed"], v["errors"], v["waived"],
            v["not_run"], v["reason"] or "-")) + " |")
    out += [f"\n**Not verified:** {_cell(e)}" for e in errors]
    tests = per_test(found)
    if tests:
        out += ["", "### Failed controls", "", "| Control | Checklist line | Test | Failure | Where |",
                "| --- | --- | --- | --- | --- |"]
        for f in tests:
            where = f"{f.location.path.name}:{f.location.line}" if f.location and f.location.line else (
                f.location.path.name if f.location else "-")
            out.append("| " + " | ".join(_cell(x) for x in (f.control_id, CONTROLS[f.control_id].checklist_line,
                                                             f.nodeid, f.message, where)) + " |")
    if bundle is not None:
        out += ["", f"Evidence bundle: `{_cell(bundle)}`"]
    return "\n".join(out) + "\n\n"


def code_quality(found: Iterable[Failure], base: Path | None, fallback: Path | None) -> list[dict[str, Any]]:
    """GitLab Code Quality issues, one per failed test and subject. GitLab needs a path on every issue:
    a finding with no compose key (a runtime one) points at the first compose file, line 1."""
    issues = []
    for f in found:
        where = f.location
        path = where.relative_to(base) if where else (
            fallback.relative_to(base).as_posix() if fallback and base and fallback.is_relative_to(base)
            else fallback.as_posix() if fallback else "nestgate.toml")
        issues.append({"type": "issue", "check_name": f.control_id, "description": f.message,
                       "categories": ["Security" if f.gate == "security" else "Bug Risk"],
                       "severity": _SEVERITY[f.gate], "fingerprint": fingerprint(f),
                       "location": {"path": path, "lines": {"begin": where.line if where and where.line else 1}}})
    return issues
