"""The command runner and the docker CLI's stack loader against real processes (shell scripts):
a timeout leaves no process of the group behind, and a docker CLI that cannot run is evidence
unavailable, never a verdict on the compose file."""

from __future__ import annotations

import subprocess
import time

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.command import run
from nestgate.probes.stack_cli import ENV_VAR, stack_config


def test_a_timeout_kills_the_whole_process_group(tmp_path):
    marker = tmp_path / "grandchild-alive"
    # The grandchild holds the pipes open: killing only the child would hang until it exits.
    script = f"(sleep 30; touch {marker}) & sleep 30"
    started = time.monotonic()
    with pytest.raises(EvidenceUnavailable, match=r"command timed out after 1 s: sh -c"):
        run(["sh", "-c", script], timeout_s=1)
    assert time.monotonic() - started < 20
    leftover = subprocess.run(["pgrep", "-f", f"touch {marker}"], capture_output=True, text=True, check=False)
    assert leftover.stdout.strip() == "", "a process of the timed-out group is still running"


def test_output_stdin_and_exit_status_are_returned():
    result = run(["sh", "-c", "cat; echo err >&2; exit 3"], timeout_s=10, stdin="in")
    assert (result.stdout, result.stderr.strip(), result.returncode, result.ok) == ("in", "err", 3, False)


def test_a_docker_cli_that_cannot_run_is_evidence_unavailable(tmp_path, monkeypatch):
    wrapper = tmp_path / "docker"
    wrapper.write_text("#!/bin/sh\nexec /nonexistent/docker \"$@\"\n")
    wrapper.chmod(0o755)
    compose = tmp_path / "stack.yml"
    compose.write_text("services:\n  a:\n    image: busybox\n")
    monkeypatch.setenv(ENV_VAR, str(wrapper))
    with pytest.raises(EvidenceUnavailable, match=r"could not run `stack config` \(exit status 127\): .*not found"):
        stack_config([compose], tmp_path, timeout_s=10)
