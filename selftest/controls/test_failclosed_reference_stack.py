"""A GO means every control ran (issue 14), on the reference stack with the real security gate:
each run below once said GO, or deployed, with controls that never ran. Now each is NO-GO or a usage
error, and where the deploy wrapper is involved its deploy command never runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from selftest.fixture_suite import run_deploy
from selftest.gaterun import ROOT, run_gates

USAGE, REFUSED = 2, 10


def _verdict(output: str) -> str:
    return output.split("nestgate verdict")[-1]


# -- 1 and 2: narrowed or body-less runs of the real gate ---------------------------------------
@pytest.mark.parametrize(("args", "env", "says"), [
    (["-m", "security", "-k", "not runtime"], {},
     "incomplete: deselected: SEC-02 (runtime), SEC-03 (runtime), SEC-04[app] (runtime)"),
    (["-m", "security", "--deselect", "tests_security/test_sec04_hardening.py::"
      "test_running_hardening[SEC-04[nginx]]"], {}, "incomplete: deselected: SEC-04[nginx] (runtime)"),
    (["tests_security/test_sec04_hardening.py"], {}, "incomplete: SEC-01 (declared) not collected;"),
    (["-m", "security", "--setup-plan"], {},
     "did not run (--setup-only/--setup-plan run no test body): SEC-01 (declared)"),
    (["-m", "security"], {"PYTEST_ADDOPTS": "--setup-only"},
     "did not run (--setup-only/--setup-plan run no test body): SEC-01 (declared)"),
], ids=["keyword", "deselect-one-subject", "single-file", "setup-plan", "setup-only-from-environment"])
def test_a_narrowed_gate_run_is_no_go_naming_what_did_not_run(testbed, args, env, says):
    run = run_gates(args, testbed.config_path, env=env)
    assert run.returncode == 1, run.output[-3000:]
    verdict = _verdict(run.output)
    assert "security     NO-GO" in verdict and says in verdict, verdict


def test_the_clean_gate_is_still_go(testbed):
    run = run_gates(["-m", "security"], testbed.config_path)
    run.assert_go("security")
    assert "security     GO     " in run.output and "not run 0" in run.output


# -- 1, 2 and 4 through the wrapper: refused before anything runs -------------------------------
def _deploy(testbed, tmp_path: Path, *args: str, env: dict[str, str] | None = None):
    marker = tmp_path / "deployed"
    proc = run_deploy(["--suite", str(ROOT), "--reports", str(tmp_path / "reports"),
                       f"--target-config={testbed.config_path}", "--gate", "security", *args,
                       "--", "touch", str(marker)], timeout_s=900, cwd=ROOT, env=env)
    return proc, proc.stdout + proc.stderr, marker


@pytest.mark.parametrize("pytest_arg", [
    ["--setup-plan"], ["--setup-only"], ["-k", "not runtime"], ["--deselect=tests_security/test_sec01_scan.py"],
    ["--nestgate-controls=SEC-01"], ["-m", "security and declared"], ["-p", "evil"], ["tests_security/x.py"],
    ["--collect-only"], ["-x"], ["--lf"],
])
def test_the_wrapper_refuses_pytest_args_that_change_what_runs(testbed, tmp_path, pytest_arg):
    proc, out, marker = _deploy(testbed, tmp_path, *(f"--pytest-arg={a}" for a in pytest_arg))
    assert proc.returncode == USAGE, out
    assert not marker.exists(), "DEPLOY_CMD ran"
    assert "usage error, nothing ran: --pytest-arg" in out and "Traceback" not in out
    assert not (tmp_path / "reports").exists()  # refused before any folder or gate run


def _plugin_dir(tmp_path: Path) -> Path:
    """A plugin that marks every report passed: what PYTEST_PLUGINS once loaded into the gate."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "allpass.py").write_text(
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n"
        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n")
    return folder


@pytest.mark.parametrize("variables", [
    {"PYTEST_ADDOPTS": "--setup-plan"}, {"PYTEST_PLUGINS": "allpass", "PYTHONPATH": "{plugins}"},
    {"PYTHONOPTIMIZE": "1"}, {"PYTHONSTARTUP": "/dev/null"},
], ids=["addopts-setup-plan", "plugins", "optimize", "startup"])
def test_the_wrapper_refuses_environment_that_changes_the_gate(testbed, tmp_path, variables):
    plugins = _plugin_dir(tmp_path)
    env = {k: v.format(plugins=plugins) for k, v in variables.items()}
    proc, out, marker = _deploy(testbed, tmp_path, env=env)
    assert proc.returncode == USAGE, out
    assert not marker.exists(), "DEPLOY_CMD ran"
    assert all(f"${k}" in out for k in variables) and "would change what the gate's pytest loads or runs" in out


def test_a_side_only_deploy_needs_side_and_is_recorded(testbed, tmp_path):
    proc, out, marker = _deploy(testbed, tmp_path, "--side", "declared", "--post-gate-deadline", "60")
    assert proc.returncode == 0, out[-4000:]
    assert marker.exists()
    assert "security     GO, declared side only" in out and "gate: PASSED (security: declared side only)" in out
    [folder] = (tmp_path / "reports").glob("*-deploy-security")
    record = json.loads((folder / "deploy.json").read_text())
    assert record["side"] == "declared" and record["steps"][0]["coverage"] == {"security": "declared side only"}
    assert record["gate_invocation"]["plugin_autoload"] is False


def test_the_wrapper_records_waivers_taken_from_the_environment(testbed, tmp_path):
    waivers = tmp_path / "waivers.toml"
    waivers.write_text("")
    proc, out, _ = _deploy(testbed, tmp_path, "--side", "declared", "--post-gate-deadline", "60",
                           env={"NESTGATE_WAIVERS": str(waivers)})
    assert proc.returncode == 0, out[-4000:]
    [folder] = (tmp_path / "reports").glob("*-deploy-security")
    record = json.loads((folder / "deploy.json").read_text())
    assert record["waivers"] == {"file": str(waivers), "from": "$NESTGATE_WAIVERS", "used": []}
    assert f"--waivers={waivers}" in record["steps"][0]["argv"]


def test_a_config_error_is_a_usage_error(testbed, tmp_path):
    bad = tmp_path / "nestgate.toml"
    bad.write_text("[target]\ncall_timeout_s = -1\n")
    marker = tmp_path / "deployed"
    proc = run_deploy(["--suite", str(ROOT), "--reports", str(tmp_path / "reports"), f"--target-config={bad}",
                       "--gate", "security", "--", "touch", str(marker)], cwd=ROOT)
    out = proc.stdout + proc.stderr
    assert proc.returncode == USAGE and not marker.exists(), out
    assert "target.call_timeout_s: Input should be greater than 0" in out and "Traceback" not in out


def test_watch_refuses_environment_that_changes_its_rounds(testbed, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nestgate.cli", "watch", "--once",
                           f"--target-config={testbed.config_path}", "--history", str(tmp_path / "h.sqlite")],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTEST_ADDOPTS": "--setup-plan"}, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == USAGE, out
    assert "$PYTEST_ADDOPTS would change what the gate's pytest loads or runs" in out


# -- 7: report plugins switched off -----------------------------------------------------------
@pytest.mark.parametrize("plugin", ["junitxml", "html"])
def test_switching_off_a_report_plugin_is_a_usage_error_without_a_folder(testbed, tmp_path, plugin):
    reports = tmp_path / "reports"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "security", "-p", f"no:{plugin}",
                           f"--target-config={testbed.config_path}", f"--nestgate-report={reports}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == pytest.ExitCode.USAGE_ERROR, out
    assert f"-p no:{plugin} disables" in out and "INTERNALERROR" not in out and "Traceback" not in out
    assert not reports.exists() or not any(reports.iterdir())
