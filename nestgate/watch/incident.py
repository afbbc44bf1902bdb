"""`nestgate incident collect`: the incident procedure's evidence step, read only.

Bundle (default <watch.evidence_dir>/incident-<timestamp>/):
    logs/<service>/<task>@<node>.log swarm: every task of the stack (running or ended) on every node,
                                     through the manager, lines since --since
    logs/<service>/<container>.log   compose: every container of the project (running or not)
    inspect/<container>.json         `docker inspect` of every container of the stack on the engine's node
    inspect/tasks/<task>.json        swarm: `docker inspect` of every task of the stack, through the manager
    services/<service>.json          `docker service inspect` of every swarm service of the stack
    gate/evidence.json, manifest.json  the newest gate report bundle (reports/, watch rounds), as written
    watch/last-round.json            the last controls round of the watch history, if there is one
    summary.json                     what was collected, what could not be and why
    manifest.json                    SHA-256 of every file (report_bundle.write_tree_manifest)

It never pauses, disconnects, restarts or changes anything: only inspect, list and log calls. Every
file passes through REDACTOR, with the config's secrets registered first.

Exit 0: everything collected. 1: bundle written, but something could not be collected (listed in
summary.json and printed). 2: user error or the Docker engine unreachable: one line, no bundle (the
bundle's point is the engine's logs and inspect; there is nothing to hash without them).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import docker.errors

import nestgate
from nestgate.config import LoadedConfig, config_path, load_config
from nestgate.errors import EvidenceUnavailable, NestgateError, one_line
from nestgate.gate.bundle import (
    BundleError,
    prepare_exact_dir,
    read_json,
    stamp,
    unique_dir,
    verify_bundle,
    write_tree_manifest,
)
from nestgate.probes.diagnostics import task_inspect
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import LogLine, ServiceState, TaskFacts
from nestgate.probes.readers.service_logs import task_name
from nestgate.redact import REDACTOR, register_config_secrets
from nestgate.watch.history import HistoryError
from nestgate.watch.since import parse_since

FORMAT = "nestgate-incident/1"
PARALLEL = 8  # tasks read at once through the manager
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _name(text: str) -> str:
    return _UNSAFE.sub("_", text) or "_"


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def new_bundle_dir(parent: Path) -> Path:
    """`<parent>/incident-<timestamp>`, new and empty; -2, -3, ... when collected twice in a second."""
    try:
        return unique_dir(parent, f"incident-{stamp()}")
    except OSError as exc:
        raise NestgateError(f"cannot create an incident bundle under {parent}: {exc.strerror or exc}") from None


@dataclass
class Collection:
    bundle: Path
    since: float
    collected: dict[str, Any] = field(default_factory=dict)
    not_collected: list[str] = field(default_factory=list)

    def write_text(self, relative: str, text: str) -> None:
        path = self.bundle / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(REDACTOR.scrub(text), encoding="utf-8")

    def write_json(self, relative: str, data: Any) -> None:
        self.write_text(relative, json.dumps(REDACTOR.scrub_any(data), indent=2, sort_keys=True, default=str) + "\n")


def _log_text(lines: list[LogLine]) -> str:
    return "".join(f"{_iso(line.timestamp)} {line.text}\n" for line in lines)


def collect_engine(engine: Engine, services: list[str], c: Collection) -> None:
    """Inspect of every container of the stack on the engine's node, inspect of every service; the
    logs of every task through the manager (swarm: every node) or of every container (compose)."""
    swarm = engine.orchestrator == "swarm"
    containers = engine.containers()
    per_service: dict[str, dict[str, Any]] = {}
    for container in containers:
        entry = per_service.setdefault(container.service or "(no service)", {"containers": [], "log_lines": 0})
        entry["containers"].append(container.name)
        c.write_json(f"inspect/{_name(container.name)}.json", container.inspect)
        if swarm and _is_task(container.inspect):
            continue  # its lines come with its task's, through the manager
        try:
            lines = engine.logs(container, c.since)
        except EvidenceUnavailable as exc:
            c.not_collected.append(f"logs of {container.name}: {exc}")
            continue
        c.write_text(f"logs/{_name(container.service or 'no-service')}/{_name(container.name)}.log", _log_text(lines))
        entry["log_lines"] += len(lines)
    if swarm:
        collect_tasks(engine, per_service, c)
    for svc in services:
        if not per_service.get(svc, {}).get("tasks" if swarm else "containers"):
            c.not_collected.append(f"service {svc}: no task of it in the swarm (no logs, no inspect)" if swarm
                                   else f"service {svc}: no container of it on the engine (no logs, no inspect)")
    if swarm:
        for raw in engine.services():
            name = str((raw.get("Spec") or {}).get("Name", raw.get("ID", "?"))).removeprefix(f"{engine.stack}_")
            c.write_json(f"services/{_name(name)}.json", raw)
            per_service.setdefault(name, {"containers": [], "log_lines": 0})["service_inspect"] = True
    c.collected["services"] = per_service
    c.collected["containers"] = len(containers)


def _is_task(inspect: dict[str, Any]) -> bool:
    """A swarm task's container (its logs are read per task); a container of the stack that no task
    runs keeps its own log file."""
    return "com.docker.swarm.task.id" in ((inspect.get("Config") or {}).get("Labels") or {})


def collect_tasks(engine: Engine, per_service: dict[str, dict[str, Any]], c: Collection) -> None:
    """Every task of every swarm service of the stack, on whichever node: its inspect and its log lines
    (`docker service logs` of the task, through the manager), one file each named by task and node."""
    states, nodes = engine.service_states(), engine.node_names()

    def one(job: tuple[ServiceState, TaskFacts]) -> tuple[dict[str, Any] | str, list[LogLine] | str | None]:
        svc, t = job
        try:
            inspect: dict[str, Any] | str = task_inspect(engine, t)
        except (docker.errors.APIError, EvidenceUnavailable) as exc:
            inspect = one_line(exc)
        if not t.container_id:
            return inspect, None  # never had a container (pending, rejected): no logs
        try:
            return inspect, engine.service_logs(replace(svc, tasks=[t]), c.since, nodes)
        except (docker.errors.APIError, EvidenceUnavailable) as exc:
            return inspect, one_line(exc)

    jobs = [(svc, t) for svc in states for t in svc.tasks]
    with ThreadPoolExecutor(max_workers=max(1, min(PARALLEL, len(jobs)))) as pool:
        results = list(pool.map(one, jobs))
    for (svc, t), (inspect, lines) in zip(jobs, results, strict=True):
        name = task_name(f"{engine.stack}_{svc.name}", t, t.id)
        # hostname and node ID: two nodes may share a hostname
        node = "-".join(p for p in (nodes.get(t.node_id, ""), t.node_id[:12]) if p) or "no-node"
        entry = per_service.setdefault(svc.name, {"containers": [], "log_lines": 0})
        entry.setdefault("tasks", []).append(f"{name} on node {node} ({t.state})")
        if isinstance(inspect, str):
            c.not_collected.append(f"inspect of task {name} on node {node}: {inspect}")
        else:
            c.write_json(f"inspect/tasks/{_name(name)}.json", inspect)
        if isinstance(lines, str):
            c.not_collected.append(f"logs of task {name} on node {node}: {lines}")
        elif lines is not None:
            c.write_text(f"logs/{_name(svc.name)}/{_name(name)}@{_name(node)}.log", _log_text(lines))
            entry["log_lines"] += len(lines)
    c.collected["tasks"] = len(jobs)


def _bundles(parents: list[Path]) -> list[Path]:
    found = []
    for parent in parents:
        for pattern in ("*/evidence.json", "*/*/evidence.json"):  # gate bundles; deploy's gate/ folders
            found += [p.parent for p in parent.glob(pattern) if (p.parent / "manifest.json").is_file()]
    return found


def collect_gate(parents: list[Path], c: Collection) -> None:
    """The newest gate report bundle, copied as written (redacted again), with its verification."""
    bundles = _bundles(parents)
    if not bundles:
        c.not_collected.append(f"last gate results: no report bundle under {', '.join(map(str, parents))}")
        return
    newest = max(bundles, key=lambda b: (b / "evidence.json").stat().st_mtime)
    entry: dict[str, Any] = {"bundle": str(newest)}
    try:
        verify_bundle(newest)
        entry["verified"] = True
    except BundleError as exc:
        entry["verified"] = False
        entry["problem"] = str(exc)
        c.not_collected.append(f"last gate results: {exc}")
    for name in ("evidence.json", "manifest.json"):
        try:
            c.write_json(f"gate/{name}", read_json(newest / name))
        except BundleError as exc:
            c.not_collected.append(f"last gate results: {exc}")
    try:
        verdict = read_json(newest / "evidence.json").get("verdict")
    except (BundleError, AttributeError):
        verdict = None
    entry["verdict"] = verdict
    c.collected["last_gate"] = entry


def collect_history(history_path: Path, c: Collection) -> None:
    """The last controls round of the watch history (read only; absent history is noted, not made)."""
    from nestgate.watch.kpi_cmd import open_existing_history

    try:
        history = open_existing_history(history_path)
    except HistoryError as exc:
        c.collected["watch_history"] = f"not read: {exc}"
        return
    try:
        runs = history.runs()
        if not runs:
            c.collected["watch_history"] = f"{history_path}: no controls round yet"
            return
        last = runs[-1]
        results = [vars(r) for r in history.results(since=last.started) if r.run_id == last.id]
        c.write_json("watch/last-round.json", {"run": vars(last), "results": results})
        events = [vars(e) for e in history.events(since=c.since)]
        c.write_json("watch/events.json", events)
        c.collected["watch_history"] = {"path": str(history_path), "last_round": last.id,
                                        "verdict": last.verdict, "events_since": len(events)}
    except HistoryError as exc:
        c.not_collected.append(f"watch history: {exc}")
    finally:
        history.close()


def collect(cfg: LoadedConfig, since: float, out: Path | None, reports: Path, now: float) -> Collection:
    t = cfg.model.target
    engine = Engine.for_target(t)
    try:
        engine.info()  # unreachable: one line, exit 2, no bundle
    except docker.errors.APIError as exc:
        raise EvidenceUnavailable(f"Docker engine at {engine.url} refused info: {exc}") from None
    evidence_dir = cfg.resolve(cfg.model.watch.evidence_dir)
    bundle = prepare_exact_dir(out) if out else new_bundle_dir(evidence_dir)
    c = Collection(bundle, since)
    try:
        collect_engine(engine, list(t.services), c)
    except (EvidenceUnavailable, docker.errors.APIError) as exc:
        c.not_collected.append(f"engine: {one_line(exc)}")
    collect_gate([reports, evidence_dir / "rounds"], c)
    collect_history(cfg.resolve(cfg.model.watch.history), c)
    c.write_json("summary.json", {
        "format": FORMAT, "nestgate_version": nestgate.__version__, "target": t.name, "stack": t.stack,
        "engine": engine.url, "since": _iso(since), "collected_at": _iso(now),
        "complete": not c.not_collected, "not_collected": c.not_collected, **c.collected,
        "read_only": "only list, inspect and log calls: nothing was paused, disconnected or changed"})
    write_tree_manifest(bundle, FORMAT, target=t.name, stack=t.stack)
    return c


def run(target_config: str | None, since: str, out: str | None, root: Path, reports: Path | None = None) -> int:
    cfg = load_config(config_path(target_config, root))
    REDACTOR.add_secret_env()
    register_config_secrets(cfg.model, cfg.resolve)
    now = time.time()
    start = parse_since(since, now)
    try:
        c = collect(cfg, start, Path(out).resolve() if out else None, reports or root / "reports", now)
    except OSError as exc:
        raise NestgateError(f"cannot write the incident bundle: {exc.strerror or exc}") from None
    for problem in c.not_collected:
        print(REDACTOR.scrub(f"not collected: {problem}"))
    services = c.collected.get("services", {})
    tasks = f"{c.collected['tasks']} tasks, " if "tasks" in c.collected else ""
    print(f"incident bundle: {c.bundle} ({c.collected.get('containers', 0)} containers, {tasks}"
          f"{len(services)} services, logs since {_iso(start)}); "
          + ("complete" if not c.not_collected else f"{len(c.not_collected)} item(s) not collected"))
    return 0 if not c.not_collected else 1
