"""The docker CLI's own compose loader, the one `docker stack deploy` uses: `docker stack config`.

It interpolates, merges and validates the files against the CLI's schema without touching a
daemon, so it shows what a deploy would reject before anything is deployed.
"""

from __future__ import annotations

import os
from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.command import CommandResult, run

ENV_VAR = "NESTGATE_DOCKER_CLI"


def docker_cli() -> str:
    return os.environ.get(ENV_VAR, "docker")


def stack_config(files: list[Path], cwd: Path, timeout_s: float) -> CommandResult:
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise EvidenceUnavailable(f"compose file not found: {', '.join(missing)}")
    argv = [docker_cli(), "stack", "config"]
    for f in files:
        argv += ["-c", str(f)]
    result = run(argv, timeout_s=timeout_s, cwd=cwd)
    said = (result.stderr + result.stdout).lower()
    # An older CLI (Debian's 20.10) has no `stack config`: it prints `docker stack` usage instead.
    if not result.ok and any(m in said for m in ("unknown command", "unknown shorthand flag", "not a docker command",
                                                 "usage:  docker stack [options] command")):
        raise EvidenceUnavailable(f"{docker_cli()} has no `stack config` (docker CLI 23.0 or later needed; "
                                  f"set ${ENV_VAR} to one)")
    # 126/127: the shell could not run it (a wrapper whose target is missing); < 0: killed by a signal.
    # Neither says anything about the compose file.
    if result.returncode in (126, 127) or result.returncode < 0:
        raise EvidenceUnavailable(f"{docker_cli()} could not run `stack config` (exit status {result.returncode}): "
                                  f"{result.last_error_line()}")
    return result
