"""What a gate run ran against, for the manifest: engine, swarm node, stack, compose files, commit.

Each fact that cannot be read is recorded as "unavailable: <reason>": a fingerprint never stops
a report from being written, and never pretends.
"""

from __future__ import annotations

import hashlib
import platform
from typing import Any

import pytest

import nestgate
from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError, one_line
from nestgate.probes.command import run
from nestgate.probes.engine import Engine

# The run is over; the fingerprint must not hold the report hostage to a slow daemon.
FINGERPRINT_TIMEOUT_S = 5.0


def _unavailable(exc: BaseException) -> str:
    return f"unavailable: {one_line(exc)[:300]}"


def compose_hashes(cfg: LoadedConfig) -> dict[str, str]:
    out = {}
    for path in cfg.compose_paths:
        try:
            out[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            out[path.name] = _unavailable(exc)
    return out


def git_commit(cfg: LoadedConfig) -> dict[str, Any]:
    try:
        head = run(["git", "-C", str(cfg.project_dir), "rev-parse", "HEAD"], FINGERPRINT_TIMEOUT_S)
        if not head.ok:
            return {"commit": None, "note": "not a git checkout (or git refused): " + head.last_error_line()}
        status = run(["git", "-C", str(cfg.project_dir), "status", "--porcelain"], FINGERPRINT_TIMEOUT_S)
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip()) if status.ok else None}
    except NestgateError as exc:
        return {"commit": None, "note": _unavailable(exc)}


def engine_facts(cfg: LoadedConfig) -> dict[str, Any]:
    t = cfg.model.target
    engine = Engine(t.docker_host, min(t.call_timeout_s, FINGERPRINT_TIMEOUT_S), t.stack, t.orchestrator)
    facts: dict[str, Any] = {"docker_host": engine.url}
    try:
        version = engine.version()
        facts.update(version=version.get("Version"), api_version=version.get("ApiVersion"))
        swarm = engine.swarm()
        facts.update(swarm_node_id=swarm.node_id or None, swarm_state=swarm.local_node_state)
    except Exception as exc:  # any failure here is recorded, never raised: the report must be written
        facts["error"] = _unavailable(exc)
    return facts


def target_fingerprint(cfg: LoadedConfig | None) -> dict[str, Any]:
    base = {"nestgate_version": nestgate.__version__, "python": platform.python_version(),
            "pytest": pytest.__version__}
    if cfg is None:
        return {**base, "config": "unavailable: no target config loaded"}
    t = cfg.model.target
    return {
        **base,
        "config": str(cfg.path),
        "config_sha256": hashlib.sha256(cfg.path.read_bytes()).hexdigest() if cfg.path.is_file() else None,
        "target": t.name,
        "orchestrator": t.orchestrator,
        "stack": t.stack,
        "compose_files": compose_hashes(cfg),
        "compose_profiles": t.compose_profiles,
        "excluded_services": [{"service": e.service, "reason": e.reason} for e in t.exclude],
        "project": git_commit(cfg),
        "engine": engine_facts(cfg),
    }
