"""What a completion record may cite, read from disk: only evidence that verifies counts.

Every folder given is verified first (nestgate verify: hashes against SHA256SUMS and the manifest,
nested bundles too); one that does not verify is not evidence, and is listed with its first problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError
from nestgate.gate.bundle import BundleError, read_json
from nestgate.verify import GATE_KINDS, verify
from nestgate.watch.actions import ANNOUNCED_KEY
from nestgate.watch.history import Event
from nestgate.watch.kpi_cmd import open_existing_history
from nestgate.watch.triggers import BASELINE_KEY


@dataclass(frozen=True)
class GateBundle:
    path: Path
    started: str  # ISO time of the run: the newest bundle that ran a control decides its box
    evidence: dict[str, Any]


@dataclass(frozen=True)
class DeployFolder:
    path: Path
    record: dict[str, Any]
    rollback: dict[str, Any] | None
    notes: Path | None


@dataclass(frozen=True)
class WatchFacts:
    path: Path
    first_ts: float | None
    last_ts: float | None
    endpoints: set[str]
    baseline: set[str]
    events: list[Event]
    announced: list[dict[str, Any]]


@dataclass
class Evidence:
    config: LoadedConfig
    bundles: list[GateBundle] = field(default_factory=list)
    deploys: list[DeployFolder] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # "<folder>: <why it is not evidence>"
    watch: WatchFacts | None = None
    watch_problem: str = ""


def _read_folder(folder: Path, ev: Evidence) -> None:
    try:
        results = verify(folder)
    except NestgateError as exc:
        ev.rejected.append(f"{folder}: {exc}")
        return
    bad = [(r.folder, p) for r in results for p in r.problems]
    if bad:
        where, problem = bad[0]
        ev.rejected.append(f"{folder}: does not verify ({where.relative_to(folder).as_posix() or '.'}/{problem.path}: "
                           f"{problem.text}; {len(bad)} problem(s))")
        return
    for r in results:
        try:
            if r.kind in GATE_KINDS:
                evidence = read_json(r.folder / "evidence.json")
                ev.bundles.append(GateBundle(r.folder, str(evidence.get("run", {}).get("started", "")), evidence))
            elif r.kind == "deploy folder":
                record = read_json(r.folder / "deploy.json")
                rollback = read_json(r.folder / "rollback.json") if (r.folder / "rollback.json").is_file() else None
                notes = r.folder / record["notes"] if isinstance(record.get("notes"), str) else None
                ev.deploys.append(DeployFolder(r.folder, record, rollback, notes))
        except (BundleError, OSError, AttributeError) as exc:
            ev.rejected.append(f"{r.folder}: unreadable: {exc}")


def _read_watch(path: Path) -> WatchFacts:
    history = open_existing_history(path)  # read-only look first: a reader never creates a history
    try:
        samples = history.samples(signal="http.ok")
        return WatchFacts(path, samples[0].ts if samples else None, samples[-1].ts if samples else None,
                          {s.subject for s in samples}, set(history.get_meta(BASELINE_KEY, {}) or {}),
                          history.events(), list(history.get_meta(ANNOUNCED_KEY, []) or []))
    finally:
        history.close()


def gather(cfg: LoadedConfig, folders: list[Path], history: Path | None) -> Evidence:
    ev = Evidence(cfg)
    for folder in folders:
        _read_folder(folder, ev)
    ev.bundles.sort(key=lambda b: b.started)
    try:
        ev.watch = _read_watch(history or cfg.resolve(cfg.model.watch.history))
    except NestgateError as exc:
        ev.watch_problem = str(exc)
    return ev
