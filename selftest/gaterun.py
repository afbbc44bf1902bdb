"""Run the real gate suite in a subprocess, as a pipeline would, and read back what happened."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from nestgate.rules.messages import CAP

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class TestOutcome:
    nodeid: str
    outcome: str  # passed, failed, error, skipped
    message: str
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def evidence(self) -> dict[str, Any]:
        """The evidence record the plugin attached (JUnit property nestgate.evidence)."""
        return json.loads(self.properties["nestgate.evidence"])

    @property
    def said(self) -> str:
        """Everything the control said: its failure line (capped at 300 characters, "and N more") and
        every finding in full from the evidence, where the capped line leaves them."""
        findings = json.loads(self.properties.get("nestgate.findings") or "[]")
        return "; ".join([self.message, *(str(f.get("message", "")) for f in findings if isinstance(f, dict))])


@dataclass
class GateRun:
    returncode: int
    output: str
    outcomes: dict[str, TestOutcome]

    def by_control(self, control_id: str) -> list[TestOutcome]:
        return [o for o in self.outcomes.values() if f"[{control_id}" in o.nodeid]

    def assert_go(self, gate: str) -> None:
        """The whole run passed and the plugin's verdict line says GO for this gate."""
        assert self.returncode == 0, self.output
        assert re.search(rf"^{gate}\s+GO\b", self.output, re.MULTILINE), self.output
        assert self.failed_controls() == set()

    def assert_passed_with_evidence(self, control: str) -> None:
        """The control ran, every test of it passed, and each recorded a measurement."""
        results = self.by_control(control)
        assert results, f"{control}: no test ran\n{self.output}"
        assert all(r.outcome == "passed" for r in results), [(r.nodeid, r.message) for r in results]
        assert all(r.evidence["measured"] for r in results), f"{control}: a test recorded no measurement"

    def overlong_messages(self) -> list[str]:
        """Gate failures whose message (its first line: the one a terminal and CI show) is over the cap.
        JUnit wraps a setup error as `failed on setup with "<message>"`: the wrapper is pytest's, not
        nestgate's message, so it is not counted."""
        def own(line: str) -> str:
            for wrap in ('failed on setup with "', 'failed on teardown with "'):
                if line.startswith(wrap) and line.endswith('"'):
                    return line[len(wrap):-1]
            return line

        return [f"{o.nodeid} ({len(line)} chars): {line[:80]}..." for o in self.outcomes.values()
                if o.outcome in ("failed", "error") and "nestgate.control" in o.properties
                for line in map(own, o.message.splitlines()[:1]) if len(line) > CAP]

    def failed_controls(self) -> set[str]:
        return {o.properties.get("nestgate.control", "?") for o in self.outcomes.values()
                if o.outcome in ("failed", "error")}


def write_config(data: dict[str, Any], directory: Path) -> Path:
    path = directory / "nestgate.toml"
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def run_gates(args: list[str], config: Path | None = None, timeout_s: float = 600,
              env: dict[str, str] | None = None, prefix: list[str] | None = None) -> GateRun:
    """`prefix`: an argv the gate's command runs under (e.g. unshare, for a private /root)."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        # Self-test runs keep their report bundle in the temp dir, not in the project's reports/.
        argv = [sys.executable, "-m", "pytest", f"--junitxml={junit}", "-o", "junit_family=xunit1",
                f"--nestgate-report={tmp}", *args]
        if config is not None:
            argv.append(f"--target-config={config}")
        proc = subprocess.run([*(prefix or []), *argv], cwd=ROOT, capture_output=True, text=True, timeout=timeout_s,
                              env={**os.environ, **(env or {})}, check=False)
        outcomes = _parse_junit(junit) if junit.exists() else {}
    run = GateRun(proc.returncode, proc.stdout + proc.stderr, outcomes)
    assert not run.overlong_messages(), f"failure messages over {CAP} characters: {run.overlong_messages()}"
    return run


def _parse_junit(path: Path) -> dict[str, TestOutcome]:
    outcomes: dict[str, TestOutcome] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        nodeid = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed"}.get(tag, tag)
                message = (node.get("message") or "") + "\n" + (node.text or "")
                break
        props = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        outcomes[nodeid] = TestOutcome(nodeid, outcome, message.strip(), props)
    return outcomes
