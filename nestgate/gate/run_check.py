"""Did a gate run fully pass? Read back from its verified bundle, never from pytest's word alone.

A run passes only when: pytest exited 0; the bundle's hashes match its manifest; evidence.json
says the run completed and every selected gate is GO, complete, with the coverage asked for (whole
gates, or the side / controls the caller chose); every selected control ran; every record passed or
carries a waiver; and junit.xml agrees (same number of test cases, no failure or error, every skip
a waived control).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from nestgate.catalog import CONTROLS
from nestgate.errors import NestgateError
from nestgate.gate.bundle import verify_bundle
from nestgate.gate.coverage import Scope, scope_of

_EXIT_MEANING = {int(c): c.name.lower().replace("_", " ") for c in pytest.ExitCode}


def exit_meaning(code: int) -> str:
    if code < 0:
        return f"killed by signal {-code}"
    return _EXIT_MEANING.get(code, "unknown")


def gate_run_problems(bundle: Path, returncode: int, gates: list[str], controls: list[str],
                      markexpr: str) -> list[str]:
    """Why this gate run (`-m markexpr`, --nestgate-controls=controls) does not allow a deploy; empty
    when it does."""
    problems = []
    if returncode != 0:
        problems.append(f"pytest exit status {returncode} ({exit_meaning(returncode)}), expected 0")
    try:
        evidence = verify_bundle(bundle)
    except NestgateError as exc:
        return [*problems, f"report bundle not verified: {exc}"]
    scope = scope_of(markexpr, set(controls) if controls else None, set(gates))
    problems += _evidence_problems(evidence, gates, controls, scope)
    problems += _junit_problems(bundle / "junit.xml", evidence["controls"])
    return problems


def gate_run_summary(bundle: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """The coverage of each gate and the waivers used, as the bundle records them (empty if unreadable)."""
    try:
        evidence = verify_bundle(bundle)
    except NestgateError:
        return {}, []
    coverage = {g: str(v.get("coverage")) for g, v in evidence.get("verdict", {}).items()}
    return coverage, list(evidence.get("waivers_used", []))


def _evidence_problems(evidence: dict[str, Any], gates: list[str], controls: list[str], scope: Scope) -> list[str]:
    problems = []
    run = evidence.get("run", {})
    if not run.get("complete", False):
        problems.append("the gate run did not complete")
    records = evidence["controls"]
    for gate in gates:
        verdict = evidence["verdict"].get(gate)
        if verdict is None or sum(verdict.get(k, 0) for k in ("passed", "failed", "errors", "waived")) == 0:
            problems.append(f"gate {gate}: no control ran")
        elif verdict.get("verdict") != "GO":
            problems.append(f"gate {gate}: {verdict.get('verdict')} ({verdict.get('reason')})")
        elif verdict.get("coverage") != scope.label(gate) or verdict.get("not_run") != 0:
            # GO for less than was asked (an ini file's -k, a narrower -m): not the gate that was asked for
            problems.append(f"gate {gate}: GO for {verdict.get('coverage')!r} with {verdict.get('not_run')} not run, "
                            f"but {scope.label(gate)!r} was asked for")
    ran = {r.get("control_id") for r in records}
    problems += [f"control {c} ({CONTROLS[c].checklist_line}): did not run" for c in controls if c not in ran]
    for r in records:
        outcome = r.get("outcome")
        if outcome == "waived" and not r.get("waiver"):
            problems.append(f"{r.get('nodeid')}: reported waived without a waiver")
        elif outcome not in ("passed", "waived"):
            first = (r.get("message") or "").splitlines()[:1]
            problems.append(f"{r.get('nodeid')}: {outcome}{': ' + first[0] if first else ''}")
        if r.get("gate") not in gates:
            problems.append(f"{r.get('nodeid')}: gate {r.get('gate')} was not selected")
    return problems


def _junit_problems(path: Path, records: list[dict[str, Any]]) -> list[str]:
    try:
        cases = list(ET.parse(path).getroot().iter("testcase"))
    except (ET.ParseError, OSError) as exc:
        return [f"{path}: unreadable JUnit: {exc}"]
    problems = []
    if len(cases) != len(records):
        problems.append(f"junit.xml has {len(cases)} test cases, evidence.json {len(records)} records")
    for case in cases:
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            problems.append(f"junit.xml: {name} failed")
        props = {p.get("name") for p in case.iter("property")}
        if case.find("skipped") is not None and "nestgate.waiver" not in props:
            problems.append(f"junit.xml: {name} skipped without a waiver")
    return problems
