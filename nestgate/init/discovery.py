"""What a checkout holds, read once and read only: compose files (as written and as Compose resolves
them with every profile), Dockerfiles, env examples, scanner reports, deploy scripts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from nestgate.errors import EvidenceUnavailable, NestgateError
from nestgate.init.guesses import dockerfile_path
from nestgate.probes.compose import compose

COMPOSE_GLOBS = ("*compose*.yml", "*compose*.yaml", "*stack*.yml", "*stack*.yaml", "*swarm*.yml", "*swarm*.yaml")
ENV_EXAMPLES = (".env.example", ".env.sample", ".env.template", "env.example", ".env.production.example")
REPORT_DIRS = ("security-reports", "reports/security", "scan")
SCRIPT_GLOBS = ("*.sh", "scripts/*.sh")
TIMEOUT_S = 60.0
REPORT_MAX_BYTES = 64 * 1024 * 1024  # a scanner report bigger than this is not parsed (format left to the user)
# Compose needs a project name; init's never reaches an engine (`config` only reads files).
PROJECT = "nestgate-init"


class InitError(NestgateError):
    """init cannot go on (no such folder, nothing to read); one line."""


@dataclass(frozen=True)
class ComposeFile:
    name: str  # relative to the checkout
    raw: dict[str, Any] | None  # the YAML as written (None: not a mapping or not YAML)
    resolved: dict[str, Any] | None  # `docker compose --profile '*' config --format json`
    rejected: str = ""  # why Compose (or YAML) refused it; "" when accepted


@dataclass(frozen=True)
class Dockerfile:
    path: str  # relative to the checkout
    exists: bool
    text: str = ""


@dataclass(frozen=True)
class Checkout:
    root: Path
    compose_files: list[ComposeFile]
    dockerfiles: dict[str, Dockerfile]  # relative path -> file, for every build of every compose file
    env_examples: list[str]
    reports: dict[str, Any]  # relative path -> parsed JSON (None when unreadable or too big)
    scripts: dict[str, str] = field(default_factory=dict)  # relative path -> text


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _compose_file(path: Path, root: Path) -> ComposeFile:
    name = _rel(path, root)
    try:
        raw = yaml.safe_load(_read(path))
    except yaml.YAMLError as exc:
        return ComposeFile(name, None, None, f"not YAML: {' '.join(str(exc).split())}")
    if not isinstance(raw, dict) or not isinstance(raw.get("services"), dict):
        return ComposeFile(name, None, None, "no services: mapping (not a compose file)")
    # --profile '*' before the subcommand: every service of every profile, as nestgate's model has them.
    result = compose(["--profile", "*", "config", "--format", "json"], [path], root, PROJECT, TIMEOUT_S)
    if not result.ok:
        return ComposeFile(name, raw, None, result.last_error_line())
    try:
        return ComposeFile(name, raw, json.loads(result.stdout))
    except json.JSONDecodeError as exc:
        return ComposeFile(name, raw, None, f"Compose printed output that is not JSON: {exc}")


def _dockerfiles(files: list[ComposeFile], root: Path) -> dict[str, Dockerfile]:
    out: dict[str, Dockerfile] = {}
    for f in files:
        for svc in ((f.resolved or f.raw or {}).get("services") or {}).values():
            if isinstance(svc, dict) and isinstance(svc.get("build"), dict | str):
                rel = dockerfile_path(svc["build"], root.as_posix())
                path = root / rel
                readable = not Path(rel).is_absolute() and path.is_file()  # outside the checkout: named, never read
                out[rel] = Dockerfile(rel, readable, _read(path) if readable else "")
    return out


def _report(path: Path) -> Any:
    if path.stat().st_size > REPORT_MAX_BYTES:
        return None
    try:
        return json.loads(_read(path))
    except json.JSONDecodeError:
        return None


def read_checkout(root: Path) -> Checkout:
    """Everything init guesses from. Raises InitError when root is not a readable folder and
    EvidenceUnavailable when no Compose CLI is found."""
    if not root.is_dir():
        raise InitError(f"{root}: not a directory (give the checkout's folder)")
    paths = sorted({p for g in COMPOSE_GLOBS for p in root.glob(g) if p.is_file()})
    if not paths:
        raise InitError(f"{root}: no compose file found ({', '.join(COMPOSE_GLOBS)}); nothing to gate")
    try:
        files = [_compose_file(p, root) for p in paths]
    except EvidenceUnavailable as exc:
        raise InitError(f"cannot resolve the compose files: {exc}") from None
    reports = {_rel(p, root): _report(p) for d in REPORT_DIRS if (root / d).is_dir()
               for p in sorted((root / d).iterdir()) if p.is_file() and p.suffix in (".json", ".sarif")}
    scripts = {_rel(p, root): _read(p) for g in SCRIPT_GLOBS for p in sorted(root.glob(g)) if p.is_file()}
    return Checkout(root=root, compose_files=files, dockerfiles=_dockerfiles(files, root),
                    env_examples=[n for n in ENV_EXAMPLES if (root / n).is_file()], reports=reports,
                    scripts=scripts)
