"""report.html reads as evidence (issue 18), proven in a real headless browser on a stub-controls gate
run (selftest.fixture_suite: real pytest, the real plugin, no stack): the verdict per gate as the
terminal says it, the target fingerprint in the environment table, the failure first with its
checklist line beside it, measured values as `key: value` lines, and no planted secret anywhere."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from nestgate.gate.bundle import verify_bundle
from selftest.fixture_suite import bundles, run_suite, write_suite

CANARIES = {"file": "CANARY-HTMLFILE-4e1b7d20", "env": "CANARY-HTMLENV-8a2c9f31", "shape": "CANARY-HTMLSHAPE-0d5e6b42"}


def chromium_dom(page: Path) -> str:
    """The DOM after pytest-html's JavaScript ran: rows and the environment table exist only there."""
    found = shutil.which("chromium")
    if found is None:
        pytest.fail("chromium is not installed (scripts/setup.sh installs Debian's chromium)")
    run = subprocess.run([found, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--window-size=1800,1000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0 and "</html>" in run.stdout, run.stderr[-2000:]
    return run.stdout


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=selftest", "-c", "user.email=selftest@example.org", *args],
                          cwd=cwd, capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def environment_rows(dom: str) -> dict[str, str]:
    table = re.search(r'<table id="environment">(.*?)</table>', dom, re.S)
    assert table, "no environment table in the rendered page"
    return {k: v for k, v in re.findall(r"<td>([^<]*)</td>\s*<td>(.*?)</td>\s*</tr>", table[1], re.S)}


def test_report_html_shows_verdict_fingerprint_and_failure_first_in_a_browser(tmp_path):
    suite = write_suite(tmp_path / "suite")
    (suite / ".gitignore").write_text("reports/\nstate/\n__pycache__/\n")
    git(suite, "init", "-q")
    git(suite, "add", "-A")
    git(suite, "commit", "-q", "-m", "fixture suite")
    commit = git(suite, "rev-parse", "HEAD")
    (suite / "state" / "canary.secret").write_text(CANARIES["file"] + "\n")

    # one failing control (SEC-02, which also tries to leak three canaries); every other control passes
    proc = run_suite(suite, ["-m", "security or infra"], mode="leak",
                     env={"NG_CANARY_TOKEN": CANARIES["env"], "NG_SHAPED": CANARIES["shape"]})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [bundle] = bundles(suite)
    verify_bundle(bundle)
    page = bundle / "report.html"
    dom = chromium_dom(page)
    for name, text in (("report.html", page.read_text()), ("rendered DOM", dom)):
        for kind, canary in CANARIES.items():
            assert canary not in text, f"{kind} canary in the {name}"

    # the head: NO-GO, and each gate's verdict line exactly as the terminal printed it
    assert '<h2 class="ng-overall ng-nogo">nestgate verdict: NO-GO (not GO: security)</h2>' in dom
    terminal = [line for line in proc.stdout.splitlines() if re.match(r"(security|infra) +(GO|NO-GO) ", line)]
    assert [line.split()[:2] for line in terminal] == [["security", "NO-GO"], ["infra", "GO"]], proc.stdout
    for line in terminal:
        assert f">{html.escape(line)}</div>" in dom, line
    assert f"nestgate verify {bundle}`" in dom  # where the manifest that hashes this page is

    # the target fingerprint, as the bundle's manifest recorded it, in the environment table
    target = json.loads((bundle / "manifest.json").read_text())["target"]
    env = environment_rows(dom)
    assert env["nestgate verdict"] == "<div>security NO-GO; infra GO</div>"
    assert env["Target"] == "<div>fixture (swarm stack fixture-stack)</div>"
    assert env["Stack"] == "<div>fixture-stack</div>"
    assert env["Git commit"] == f"<div>{commit} (clean)</div>" and target["project"]["commit"] == commit
    assert f"compose.yml: sha256 {target['compose_files']['compose.yml']}" in env["Compose files"]
    engine = target["engine"]
    assert engine.get("version"), engine  # the fixture's target is this machine's engine, read only
    engine_line = f"Docker {engine['version']} (API {engine['api_version']}) at {engine['docker_host']}"
    assert env["Engine"] == f"<div>{engine_line}</div>"
    assert env["Swarm node"] == f"<div>{engine['swarm_node_id']} ({engine['swarm_state']})</div>"
    assert env["nestgate version"] == f"<div>{target['nestgate_version']}</div>"
    assert env["Waivers used"] == "<div>none</div>" and env["Evidence bundle"] == f"<div>{bundle}</div>"
    assert list(env)[:2] == ["nestgate verdict", "Target"]  # the target first, pytest-html's own rows after

    # the results: the failure first, its checklist line beside its ID, measured values not JSON
    rows = re.findall(r'<tbody class="results-table-row (\w+)"[^>]*>\s*<tr class="collapsible"[^>]*>(.*?)</tr>',
                      dom, re.S)
    selected = len(verify_bundle(bundle)["controls"])  # every test the run recorded is a row
    assert len(rows) == selected > 1 and [r[0] for r in rows].count("failed") == 1, [r[0] for r in rows]
    outcome, first = rows[0]
    assert outcome == "failed" and "test_secrets_deployed[SEC-02]" in first
    assert ('<td class="col-ngControl">SEC-02</td><td class="col-ngLine">Docker Swarm external secrets properly '
            "deployed</td>") in first
    measured = re.search(r'<td class="col-ngMeasured">(.*?)</td>', first, re.S)[1]
    assert measured.splitlines() == ["found: 1", "password: ********", "token: ********",
                                     "api_url: https://u:********@api/"]
    assert re.search(r'<td class="col-ngThreshold">expected: 1</td>', first)
    for cell in re.findall(r'<td class="col-ng(?:Measured|Threshold|Findings)">(.*?)</td>', dom, re.S):
        assert not re.search(r"[{}\[\]]|&quot;", cell), f"raw JSON in a cell: {cell}"
