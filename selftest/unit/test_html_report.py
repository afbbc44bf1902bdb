"""The HTML report's text (nestgate.gate.report_text, report_header): evidence as `key: value`
lines, the verdict head as the terminal says it, the fingerprint rows, escaping and failing closed."""

from __future__ import annotations

import html
from pathlib import Path
from types import SimpleNamespace

from nestgate.gate.report import HtmlColumns, evidence_html
from nestgate.gate.report_header import environment, header_html, overall, waiver_line
from nestgate.gate.report_text import cell_text, kv_lines
from nestgate.gate.verdict import GateVerdict, VerdictPlugin

COUNTS = {"passed": 9, "failed": 1, "errors": 0, "waived": 0, "not_run": 0}
NOGO = GateVerdict("security", False, COUNTS, "not every control passed")
GO = GateVerdict("infra", True, {**COUNTS, "passed": 10, "failed": 0}, "")
PARTIAL = GateVerdict("build", True, {**COUNTS, "failed": 0}, "", "declared side only")
WAIVER = {"id": "SEC-01", "line": 3, "owner": "ops@example.org", "expires": "2026-12-31",
          "justification": "base image rebuild <OPS-7>", "waived": "tests_security/test_x.py::test_y[SEC-01]"}
FINGERPRINT = {
    "nestgate_version": "0.1.0", "config": "/srv/nestgate.toml", "config_sha256": "c" * 64, "target": "prod",
    "orchestrator": "swarm", "stack": "medianest", "compose_files": {"docker-compose.yml": "a" * 64},
    "project": {"commit": "b" * 40, "dirty": True},
    "engine": {"docker_host": "unix:///var/run/docker.sock", "version": "27.3.1", "api_version": "1.47",
               "swarm_node_id": "node1", "swarm_state": "active"}}


def test_measured_values_read_as_key_value_lines_not_json():
    assert kv_lines({"found": 1, "ok": True, "missing": None, "ratio": 0.5}) == [
        "found: 1", "ok: true", "missing: (none)", "ratio: 0.5"]
    assert kv_lines({"limits": {"app": {"memory_mb": 512}}, "ports": [80, 443]}) == [
        "limits.app.memory_mb: 512", "ports: 80, 443"]
    assert kv_lines({"services": [{"name": "app", "user": "1000"}]}) == [
        "services[0].name: app", "services[0].user: 1000"]
    assert kv_lines(["GET /health", "file compose.yml"]) == ["GET /health", "file compose.yml"]  # sources
    assert kv_lines([{"message": "app: runs as root"}, {"message": "db: privileged"}]) == [
        "app: runs as root", "db: privileged"]  # findings
    assert kv_lines(WAIVER) == ["base image rebuild <OPS-7> (owner ops@example.org, expires 2026-12-31)"]
    assert kv_lines(None) == kv_lines({}) == kv_lines("") == []
    assert kv_lines(0) == ["0"] and kv_lines(False) == ["false"]


def test_a_cell_is_capped_and_says_where_the_rest_is():
    text = cell_text({f"k{i}": i for i in range(20)}, limit=5)
    assert text.splitlines() == ["k0: 0", "k1: 1", "k2: 2", "k3: 3", "… 16 more lines in the row's details"]
    assert cell_text({"long": "x" * 1000}).endswith("…") and len(cell_text({"long": "x" * 1000})) == 300


def test_the_row_details_show_every_field_as_lines_escaped():
    extra = evidence_html({"control_id": "SEC-04", "measured": {"user": "<root>", "caps": ["ALL"]}, "threshold": {}})
    assert "<pre style='margin:0;white-space:pre-wrap'>user: &lt;root&gt;\ncaps: ALL</pre>" in extra
    assert "Threshold" not in extra and "{" not in extra.split("<table>", 1)[1]


def test_the_head_has_each_gate_line_exactly_as_the_terminal_and_the_waivers():
    head = header_html([NOGO, GO], [WAIVER], ["waiver SEC-03 expired on 2026-01-01: waives nothing"], False,
                       Path("/r/b"))
    assert '<h2 class="ng-overall ng-nogo">nestgate verdict: NO-GO (not GO: security)</h2>' in head
    assert f'<div class="ng-line ng-nogo">{html.escape(NOGO.line())}</div>' in head
    assert f'<div class="ng-line ng-go">{html.escape(GO.line())}</div>' in head
    assert f"<li>{html.escape(waiver_line(WAIVER))}</li>" in head and "&lt;OPS-7&gt;" in head
    assert "<p>waiver SEC-03 expired on 2026-01-01: waives nothing</p>" in head
    assert "/r/b/manifest.json and SHA256SUMS hold this report&#x27;s SHA-256" in head


def test_the_waiver_line_is_the_terminal_one():
    lines: list[str] = []

    class Recorder:  # the terminal reporter's two calls the verdict makes
        def section(self, title: str) -> None:
            lines.append(f"== {title}")

        def write_line(self, line: str) -> None:
            lines.append(line)

    plugin = VerdictPlugin()
    plugin.waivers_used.append(WAIVER)
    plugin.notes.append("a note")
    plugin.pytest_terminal_summary(Recorder())
    assert f"  {waiver_line(WAIVER)}" in lines


def test_overall_fails_closed():
    assert overall([], True) == (False, "no gate test ran")
    assert overall([GO, PARTIAL], True) == (True, "")
    assert overall([GO], False) == (False, "pytest did not exit 0")
    assert overall([GO, NOGO], True) == (False, "not GO: security")
    assert "nestgate verdict: NO-GO (no gate test ran)" in header_html([], [], [], True, None)
    assert "not covered by a manifest" in header_html([], [], [], True, None)


def test_environment_rows_carry_the_fingerprint_target_first():
    rows = environment(FINGERPRINT, [NOGO, PARTIAL], [WAIVER], Path("/r/b"), "d" * 64)
    assert list(rows)[:3] == ["nestgate verdict", "Target", "Stack"]
    assert rows["nestgate verdict"] == "security NO-GO; build GO, declared side only"
    assert rows["Target"] == "prod (swarm stack medianest)"
    assert rows["Engine"] == "Docker 27.3.1 (API 1.47) at unix:///var/run/docker.sock"
    assert rows["Swarm node"] == "node1 (active)"
    assert rows["Compose files"] == {"docker-compose.yml": "sha256 " + "a" * 64}
    assert rows["Git commit"] == "b" * 40 + " (uncommitted changes)"
    assert rows["Deploy manifest"] == "sha256 " + "d" * 64
    waived = f"owner ops@example.org, expires 2026-12-31, waived {WAIVER['waived']}"
    assert rows["Waivers used"] == {"SEC-01 (1)": waived}


def test_environment_rows_say_what_could_not_be_read():
    broken = {**FINGERPRINT, "project": {"commit": None, "note": "not a git checkout"},
              "engine": {"docker_host": "tcp://10.0.0.9:2376", "error": "unavailable: connection refused"}}
    rows = environment(broken, [], [], None, None)
    assert rows["Engine"] == "unavailable: connection refused at tcp://10.0.0.9:2376"
    assert rows["Swarm node"] == "unavailable: connection refused"
    assert rows["Git commit"] == "not a git checkout" and rows["nestgate verdict"] == "no gate test ran"
    assert rows["Waivers used"] == "none" and rows["Evidence bundle"] == "none" and "Deploy manifest" not in rows
    bare = environment({"nestgate_version": "0.1.0", "config": "unavailable: no target config loaded"}, [], [], None,
                       None)
    assert bare["Target"] == "unavailable: no target config loaded"
    assert environment({**FINGERPRINT, "stack": "<b>x</b>"}, [], [], None, None)["Stack"] == "&lt;b&gt;x&lt;/b&gt;"


def test_a_head_that_cannot_be_built_says_so_and_the_report_is_still_written():
    session = SimpleNamespace(config=SimpleNamespace(pluginmanager=SimpleNamespace(get_plugin=lambda name: None)))
    prefix: list[str] = []
    HtmlColumns("t").pytest_html_results_summary(prefix, [], [], session)  # type: ignore[arg-type]
    assert prefix == ["<h2 class='ng-overall ng-nogo'>nestgate verdict: not shown here (the nestgate verdict plugin "
                      "is not registered); the terminal and evidence.json have it</h2>"]
