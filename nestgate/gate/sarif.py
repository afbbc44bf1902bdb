"""findings.sarif: the gate's failures as SARIF 2.1.0, for code-scanning tools and auditors.

One result per failed control test and finding subject; the rules are the catalog's controls (ID,
checklist line, gate, pass condition as help). Declared-side results point at the compose key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nestgate.catalog import CONTROLS, GATES
from nestgate.gate.locations import Failure

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
ROOT_ID = "PROJECTROOT"  # the target's project_dir; result URIs are relative to it


def fingerprint(failure: Failure) -> str:
    """Stable across runs for the same control test and subject (never a measured value)."""
    return hashlib.sha256(f"{failure.control_id}\0{failure.nodeid}\0{failure.subject}".encode()).hexdigest()


def rules() -> list[dict[str, Any]]:
    return [{"id": c.id, "name": c.id.replace("-", ""),
             "shortDescription": {"text": c.checklist_line},
             "fullDescription": {"text": f"{c.checklist_line} ({GATES[c.gate]})"},
             "help": {"text": f"Passes when: {c.passes_when}."},
             "defaultConfiguration": {"level": "error"},
             "properties": {"gate": c.gate, "sides": list(c.sides), "tags": ["nestgate", c.gate]}}
            for c in CONTROLS.values()]


def _result(failure: Failure, base: Path | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": failure.control_id, "ruleIndex": list(CONTROLS).index(failure.control_id),
        "level": "error", "kind": "fail", "message": {"text": failure.message},
        "partialFingerprints": {"nestgateSubject/v1": fingerprint(failure)},
        "properties": {"nodeid": failure.nodeid, "outcome": failure.outcome, "gate": failure.gate,
                       "side": failure.side, "subject": failure.subject}}
    where = failure.location
    if where is not None:
        relative = base is not None and where.path.is_relative_to(base)
        artifact = ({"uri": where.relative_to(base), "uriBaseId": ROOT_ID} if relative
                    else {"uri": where.path.as_uri()})
        physical: dict[str, Any] = {"artifactLocation": artifact}
        if where.line is not None:
            physical["region"] = {"startLine": where.line, "startColumn": where.column or 1}
        location: dict[str, Any] = {"physicalLocation": physical}
        if where.key:
            location["logicalLocations"] = [{"fullyQualifiedName": where.key, "kind": "member"}]
        result["locations"] = [location]
    return result


def sarif_document(found: Iterable[Failure], version: str, base: Path | None, complete: bool,
                   notes: Iterable[str] = ()) -> dict[str, Any]:
    """The whole SARIF log: one run of nestgate. `base` is the project dir result paths are relative to;
    `complete` says whether every selected control ran (an incomplete run is not a clean bill)."""
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "nestgate", "version": version, "rules": rules()}},
        "results": [_result(f, base) for f in found],
        "invocations": [{"executionSuccessful": complete, "toolExecutionNotifications": [
            {"level": "warning", "message": {"text": note}} for note in notes]}],
        "columnKind": "unicodeCodePoints",
    }
    if base is not None:
        run["originalUriBaseIds"] = {ROOT_ID: {"uri": base.as_uri().rstrip("/") + "/"}}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
