"""Subprocess and Docker client helpers; every call carries a timeout."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import docker
from docker.errors import DockerException

from nestgate.testbed.errors import TestbedError

API_TIMEOUT_S = 60
BUILD_TIMEOUT_S = 900


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input_text: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command, capture its output, raise TestbedError with its tail on failure."""
    full_env = {**os.environ, **(env or {})}
    try:
        proc = subprocess.run(
            list(argv), cwd=cwd, env=full_env, input=input_text,
            capture_output=True, text=True, timeout=timeout, check=False,
        )
    except FileNotFoundError:
        raise TestbedError(f"command not found: {argv[0]}") from None
    except subprocess.TimeoutExpired:
        raise TestbedError(f"timed out after {timeout:.0f} s: {' '.join(argv[:4])} ...") from None
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise TestbedError(f"{' '.join(argv[:4])} ... exited {proc.returncode}: {' / '.join(tail)}")
    return proc


def docker_cli() -> str:
    """The docker CLI (stack deploy has no engine API equivalent)."""
    return os.environ.get("NESTGATE_DOCKER_CLI", "docker")


@cache
def client(timeout: int = API_TIMEOUT_S) -> docker.DockerClient:
    """A Docker client from the environment; a daemon that does not answer is a user error."""
    try:
        cli = docker.from_env(timeout=timeout)
        cli.ping()
    except DockerException as exc:
        raise TestbedError(f"Docker daemon not reachable: {str(exc).splitlines()[0][:200]}") from None
    return cli


def require_swarm_manager() -> None:
    """The stack needs an active swarm on this node, as a manager."""
    info = client().info()
    swarm = info.get("Swarm") or {}
    if swarm.get("LocalNodeState") != "active":
        raise TestbedError("this Docker engine is not in a swarm: run `docker swarm init --advertise-addr 127.0.0.1`")
    if not swarm.get("ControlAvailable"):
        raise TestbedError("this node is not a swarm manager: run the testbed on a manager node")
