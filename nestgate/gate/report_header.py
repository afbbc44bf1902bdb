"""The HTML report's head: the verdict per gate as the terminal prints it, the waivers used, the
target fingerprint for the environment table, and where the manifest that hashes this report is.

Pure: everything arrives as data (the verdict plugin's GateVerdicts, the fingerprint of
nestgate.gate.fingerprint); every string is scrubbed of secrets and HTML-escaped here, because
pytest-html inserts summary and environment values as HTML.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nestgate.gate.verdict import GateVerdict
from nestgate.redact import REDACTOR

STYLE = """<style>
.ng-header .ng-line { white-space: pre; font-family: monospace; padding: 2px 6px; margin: 1px 0; }
.ng-go { background: #e3f4e3; color: #14521a; }
.ng-nogo { background: #fbe3e3; color: #8a1414; }
.ng-header h2.ng-overall { padding: 4px 8px; }
.col-ngMeasured, .col-ngThreshold, .col-ngFindings, .col-ngSource { white-space: pre-line; }
</style>"""


def text(value: Any) -> str:
    """Scrubbed and escaped: safe to insert as HTML, free of registered secrets."""
    return html.escape(REDACTOR.scrub(str(value)))


def waiver_line(w: dict[str, Any]) -> str:
    """As the terminal verdict prints a waiver (nestgate.gate.verdict.VerdictPlugin)."""
    return (f"waiver {w['id']} (line {w['line']}, owner {w['owner']}, expires {w['expires']}: "
            f"{w['justification']}) waived {w['waived']}")


def overall(verdicts: Sequence[GateVerdict], exit_ok: bool) -> tuple[bool, str]:
    """GO only when some gate was judged, every gate is GO and pytest exits 0; else why not."""
    if not verdicts:
        return False, "no gate test ran"
    nogo = [v.gate for v in verdicts if not v.go]
    if nogo:
        return False, "not GO: " + ", ".join(nogo)
    return (True, "") if exit_ok else (False, "pytest did not exit 0")


def word(v: GateVerdict) -> str:
    """The verdict word of GateVerdict.line(), alone."""
    return "NO-GO" if not v.go else "GO" if v.coverage == "full" else f"GO, {v.coverage}"


def header_html(verdicts: Sequence[GateVerdict], waivers_used: Sequence[dict[str, Any]], notes: Sequence[str],
                exit_ok: bool, bundle: Path | None) -> str:
    go, why = overall(verdicts, exit_ok)
    lines = "".join(f'<div class="ng-line {"ng-go" if v.go else "ng-nogo"}">{text(v.line())}</div>' for v in verdicts)
    waivers = ("<ul>" + "".join(f"<li>{text(waiver_line(w))}</li>" for w in waivers_used) + "</ul>"
               if waivers_used else "<p>none</p>")
    note_html = "".join(f"<p>{text(n)}</p>" for n in notes)
    return (f'{STYLE}<section id="nestgate-verdict" class="ng-header">'
            f'<h2 class="ng-overall {"ng-go" if go else "ng-nogo"}">nestgate verdict: {"GO" if go else "NO-GO"}'
            f'{" (" + text(why) + ")" if why else ""}</h2>'
            f"{lines}<h3>Waivers used</h3>{waivers}{note_html}"
            f'<p class="ng-manifest">{text(manifest_note(bundle))}</p>'
            "<p>The target this run judged is in the Environment table above.</p></section>")


def manifest_note(bundle: Path | None) -> str:
    if bundle is None:
        return "No evidence bundle: this report is not covered by a manifest."
    return (f"Manifest: {bundle}/manifest.json and SHA256SUMS hold this report's SHA-256. They are written after "
            f"this report (they hash it), so their digest cannot appear in it; check the bundle with "
            f"`nestgate verify {bundle}`.")


def _engine(engine: dict[str, Any]) -> tuple[str, str]:
    at = f" at {engine.get('docker_host')}" if engine.get("docker_host") else ""
    if engine.get("error"):
        return f"{engine['error']}{at}", str(engine["error"])
    node = f"{engine.get('swarm_node_id') or 'not a swarm node'} ({engine.get('swarm_state')})"
    return f"Docker {engine.get('version')} (API {engine.get('api_version')}){at}", node


def _commit(project: dict[str, Any]) -> str:
    if not project.get("commit"):
        return str(project.get("note") or "unavailable")
    state = {True: "uncommitted changes", False: "clean", None: "status unknown"}[project.get("dirty")]
    return f"{project['commit']} ({state})"


def environment(fingerprint: dict[str, Any], verdicts: Sequence[GateVerdict], waivers_used: Sequence[dict[str, Any]],
                bundle: Path | None, deploy_manifest: str | None) -> dict[str, Any]:
    """Rows for pytest-html's environment table (pytest-metadata), escaped: a dict value shows as a list."""
    rows: dict[str, Any] = {
        "nestgate verdict": "; ".join(f"{v.gate} {word(v)}" for v in verdicts) or "no gate test ran"}
    if "target" in fingerprint:
        rows["Target"] = f"{fingerprint['target']} ({fingerprint['orchestrator']} stack {fingerprint['stack']})"
        rows["Stack"] = fingerprint["stack"]
        rows["Engine"], rows["Swarm node"] = _engine(fingerprint.get("engine") or {})
        rows["Compose files"] = {name: f"sha256 {digest}" for name, digest in fingerprint["compose_files"].items()}
        rows["Excluded from judgement"] = {e["service"]: e["reason"] for e in fingerprint.get("excluded_services", [])
                                           } or "none"
        rows["Git commit"] = _commit(fingerprint.get("project") or {})
        rows["Target config"] = f"{fingerprint['config']} (sha256 {fingerprint.get('config_sha256')})"
    else:
        rows["Target"] = fingerprint.get("config", "unavailable")
    rows["nestgate version"] = fingerprint.get("nestgate_version")
    if deploy_manifest:
        rows["Deploy manifest"] = f"sha256 {deploy_manifest}"
    rows["Waivers used"] = {f"{w['id']} ({i})": f"owner {w['owner']}, expires {w['expires']}, waived {w['waived']}"
                            for i, w in enumerate(waivers_used, 1)} or "none"
    rows["Evidence bundle"] = str(bundle) if bundle else "none"
    return {text(k): {text(a): text(b) for a, b in v.items()} if isinstance(v, dict) else text(v)
            for k, v in rows.items()}
