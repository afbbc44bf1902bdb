"""`nestgate deploy` refuses: in every case below DEPLOY_CMD (which would create a marker file)
must not run, and the wrapper says why with a documented exit code."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from selftest.conftest import derive_config
from selftest.fixture_suite import deploy_argv, hanging_endpoint, run_deploy, write_suite
from selftest.gaterun import ROOT
from selftest.stub_controls import stub_tests

REFUSED, USAGE, INTERRUPTED = 10, 2, 130


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write_suite(tmp_path / "suite")


def _refuses(proc: subprocess.CompletedProcess[str], marker: Path, code: int, *reasons: str) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode == code, out
    assert not marker.exists(), "DEPLOY_CMD ran"
    for reason in reasons:
        assert reason in out, reason
    assert "Traceback" not in out


@pytest.mark.parametrize(("mode", "args", "reasons"), [
    ("fail", ["--gate", "security"], ["SEC-02: secret medianest_jwt_secret_v2: found 0, expected 1", "gate refused"]),
    ("error", ["--gate", "security"],
     ["test_secrets_deployed[SEC-02]: error: [setup]", "fixture broke while opening the secret store"]),
    ("skip", ["--gate", "security"], ["SEC-02: a control may not skip (Skipped: secret store offline)"]),
    ("crash", ["--gate", "security", "-n", "2"], ["test_secrets_deployed[SEC-02]: error", "crashed"]),
    ("", ["--gate", "build"], ["pytest exit status 5 (no tests collected)", "gate build: no control ran"]),
    ("", ["--gate", "security", "--gate", "build"], ["gate build: no control ran"]),
], ids=["failing-control", "erroring-fixture", "skipped-control", "xdist-worker-crash", "empty-gate",
        "one-of-two-gates-empty"])
def test_refuses(suite, tmp_path, mode, args, reasons):
    marker = tmp_path / "deployed"
    proc = run_deploy(["--suite", str(suite), *args, "--", "touch", str(marker)], mode=mode)
    _refuses(proc, marker, REFUSED, *reasons)


def test_a_control_with_no_test_refuses(suite, tmp_path):
    stubs = suite / "tests_security" / "test_security_stubs.py"
    stubs.write_text(stub_tests("security", without=("SEC-02", "SEC-05")))
    marker = tmp_path / "deployed"
    proc = run_deploy(["--suite", str(suite), "--gate", "security", "--control", "SEC-05", "--", "touch", str(marker)])
    _refuses(proc, marker, REFUSED, "incomplete: SEC-05 (declared) not collected; SEC-05 (runtime) not collected",
             "control SEC-05 (Network isolation confirmed", "did not run")


def test_a_suite_with_one_trivial_test_refuses(tmp_path):
    suite = tmp_path / "trivial"
    (suite / "tests_security").mkdir(parents=True)
    (suite / "nestgate.toml").write_text('[target]\nservices = ["app"]\n')
    (suite / "tests_security" / "test_ok.py").write_text(
        'import pytest\n@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")\n'
        'def test_ok(evidence):\n    evidence.source("nothing")\n    evidence.measure(ok=True)\n')
    marker = tmp_path / "deployed"
    proc = run_deploy(["--suite", str(suite), "--gate", "security", "--", "touch", str(marker)])
    _refuses(proc, marker, REFUSED, "security     NO-GO", "incomplete: SEC-01 (declared) not collected")


def test_an_unknown_gate_name_is_a_usage_error(suite, tmp_path):
    marker = tmp_path / "deployed"
    proc = run_deploy(["--suite", str(suite), "--gate", "secuirty", "--", "touch", str(marker)])
    _refuses(proc, marker, USAGE, "invalid choice: 'secuirty'")


def test_a_hanging_endpoint_refuses(tmp_path):
    marker = tmp_path / "deployed"
    with hanging_endpoint() as url:
        suite = write_suite(tmp_path / "suite", base_url=url, timeout_s=2)
        proc = run_deploy(["--suite", str(suite), "--gate", "security", "--", "touch", str(marker)], mode="hang")
    _refuses(proc, marker, REFUSED, f"SEC-02: evidence unavailable: GET {url}/health: no answer within 2 s")


def test_a_malformed_waiver_file_refuses_naming_the_line(suite, tmp_path):
    marker = tmp_path / "deployed"
    waivers = tmp_path / "waivers.toml"
    waivers.write_text('[[waiver]]\nid = "SEC-02"\njustification = "j"\nowner = "o"\nexpires = "soon"\n')
    proc = run_deploy(["--suite", str(suite), "--gate", "security", f"--waivers={waivers}", "--",
                       "touch", str(marker)], mode="fail")
    _refuses(proc, marker, USAGE, "usage error, nothing ran:",
             "line 1: waiver 1: expires: Input should be a valid date")


@contextlib.contextmanager
def _read_only_dir(path: Path) -> Iterator[Path]:
    """A directory on a read-only filesystem (root ignores permission bits, not a ro mount)."""
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)],
                             capture_output=True, check=False).returncode == 0
    try:
        yield path if mounted else (path / "not-a-dir").with_suffix(".file")
    finally:
        if mounted:
            subprocess.run(["umount", str(path)], check=False)


def test_an_unwritable_report_directory_refuses(suite, tmp_path):
    marker = tmp_path / "deployed"
    with _read_only_dir(tmp_path / "ro") as ro:
        if not ro.is_dir():  # no mount allowed here: a regular file where the directory should be
            ro.write_text("")
        proc = run_deploy(["--suite", str(suite), "--gate", "security", "--reports", str(ro / "reports"), "--",
                           "touch", str(marker)])
    _refuses(proc, marker, REFUSED, "cannot write report directory")


def test_an_unreachable_docker_daemon_refuses_through_the_real_inf01(default_config, tmp_path):
    marker = tmp_path / "deployed"
    socket = f"unix://{tmp_path}/nobody-listens.sock"
    config = derive_config(default_config, tmp_path, target={"docker_host": socket})
    proc = run_deploy(["--suite", str(ROOT), "--reports", str(tmp_path / "reports"), f"--target-config={config}",
                       "--gate", "infra", "--control", "INF-01", "--", "touch", str(marker)])
    _refuses(proc, marker, REFUSED, f"INF-01: evidence unavailable: Docker engine unreachable at {socket}")


def test_sigint_during_the_gate_refuses(suite, tmp_path):
    marker = tmp_path / "deployed"
    proc = subprocess.Popen(deploy_argv("--opaque-command", "--suite", str(suite), "--gate", "security", "--",
                                        "touch", str(marker)),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**__import__("os").environ, "NG_MODE": "sleep"})
    try:
        deadline = time.monotonic() + 60
        while not list((suite / "reports").glob("*/gate/.write-test")) and not list(
                (suite / "reports").glob("*/gate")) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # the control is now sleeping inside the gate run
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    _refuses(subprocess.CompletedProcess(proc.args, proc.returncode, out, ""), marker, INTERRUPTED,
             "interrupted", "nothing further runs")
