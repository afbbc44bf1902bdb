"""The CLI: listing, user errors as one line with exit 2, status."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nestgate.testbed import Testbed
from nestgate.testbed.cli import main
from nestgate.testbed.faults import ALL


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "nestgate.testbed.cli", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_faults_lists_every_fault_with_its_control(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["faults"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(ALL) >= 31
    assert all(line.split()[1][:4] in ("SEC-", "BLD-", "PRF-", "INF-") for line in out)


def test_unknown_fault_is_one_line_exit_2(tb: Testbed) -> None:
    result = cli("fault", "apply", "no-such-fault", "--instance", tb.instance)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "unknown fault" in result.stderr


def test_daemon_down_is_one_line_exit_2() -> None:
    result = cli("status", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "not reachable" in result.stderr


def test_status_command(tb: Testbed) -> None:
    result = cli("status", "--instance", tb.instance)
    assert result.returncode == 0
    assert "app" in result.stdout and "faults: none" in result.stdout


def test_port_in_use_is_one_line_exit_2(tb: Testbed) -> None:
    result = cli("up", "--instance", "tbportclash", "--port", str(tb.state.port))
    assert result.returncode == 2 and "already in use" in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert not Testbed("tbportclash").state_dir.exists()
