"""One sample of every watch signal (see nestgate.watch), through the probes only.

Per sample the engine sees: service ls + task ls, container ls, node ls, and one task logs call per
task with lines still to read (through the manager, so the tasks on every node; all in parallel).
Memory comes from every node that runs a task of the stack, through its testinfra host
(nestgate.probes.nodes_read.stats_now: one round, all nodes at once, the placement read again each
sample while the node hosts and their ssh connections are kept); a node that cannot be read fails
the memory signal of every service it runs, naming the node. Log and alert counts are "since the previous
sample": SamplerState remembers where each task's log was read to and the newest alert seen, and is
kept in the history's meta table, so a restarted watcher continues where it stopped instead of
counting again.

A signal whose evidence cannot be obtained is recorded as a failure with detail {"error": ...}:
service.up 0.0, http.ok 0.0, and -1.0 for the measured values (memory.percent, log.errors,
auth.failures, security.alerts, http.response_s). Nothing is silently left out.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError, one_line
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts, LogLine, ServiceState, StatsFacts
from nestgate.probes.http import Http
from nestgate.probes.monitor_alerts import Alert, monitor_alerts
from nestgate.probes.nodes import NodeProblem, NodeRef, Nodes
from nestgate.probes.nodes_read import stats_now
from nestgate.probes.readers.timestamps import epoch
from nestgate.redact import REDACTOR
from nestgate.rules.inf07_errors import matching
from nestgate.watch.history import History, HistoryError, Sample

FAILED = -1.0
STATE_KEY = "sampler_state"
EXCERPT = 160  # characters of one matching log line kept as an example (redacted)
PARALLEL = 16
# A task in these states has no running container: it logs nothing more.
FINAL_STATES = frozenset({"complete", "failed", "shutdown", "rejected", "orphaned", "remove"})


def reason(exc: BaseException) -> str:
    """One line for a failed probe; an unexpected exception keeps its type so a bug is visible."""
    text = one_line(exc)
    return REDACTOR.scrub(text if isinstance(exc, NestgateError) else f"{type(exc).__name__}: {text}")


@dataclass
class Probes:
    """The watcher's connections, kept across samples (one Docker client, one HTTP session each, the
    node hosts)."""

    engine: Engine
    http: Http
    monitor: Http
    nodes: Nodes

    @classmethod
    def for_config(cls, cfg: LoadedConfig) -> Probes:
        t, mon = cfg.model.target, cfg.model.security.monitoring
        watch = cfg.model.watch
        engine = Engine.for_target(t)
        return cls(engine=engine, nodes=Nodes.for_target(cfg, engine),
                   http=Http(t.base_url, watch.endpoint_timeout_s),
                   # The endpoint timeout, not the engine's: behind nginx a stopped monitor is a
                   # connect that hangs, and a 15 s wait would delay every trigger by as much.
                   monitor=Http(mon.base_url or t.base_url, watch.endpoint_timeout_s))


@dataclass
class SamplerState:
    last_sample: float | None = None
    # task id -> daemon timestamp of the last log line counted
    log_since: dict[str, float] = field(default_factory=dict)
    # ended tasks whose logs were read after they ended: nothing more will come
    logs_done: set[str] = field(default_factory=set)
    # the newest alert seen {"id", "raised_at"}; None before the first successful read
    last_alert: dict[str, Any] | None = None
    probes: Probes | None = field(default=None, repr=False, compare=False)  # not persisted

    def probes_for(self, cfg: LoadedConfig) -> Probes:
        if self.probes is None:
            self.probes = Probes.for_config(cfg)
        return self.probes

    def to_meta(self) -> dict[str, Any]:
        return {"last_sample": self.last_sample, "log_since": self.log_since,
                "logs_done": sorted(self.logs_done), "last_alert": self.last_alert}

    @classmethod
    def from_meta(cls, raw: Any) -> SamplerState:
        if raw is None:
            return cls()
        try:
            return cls(last_sample=None if raw["last_sample"] is None else float(raw["last_sample"]),
                       log_since={str(k): float(v) for k, v in raw["log_since"].items()},
                       logs_done={str(c) for c in raw["logs_done"]},
                       last_alert=None if raw["last_alert"] is None else
                       {"id": int(raw["last_alert"]["id"]), "raised_at": str(raw["last_alert"]["raised_at"])})
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise HistoryError(f"history meta {STATE_KEY!r} is malformed ({type(exc).__name__}: {exc})") from None

    @classmethod
    def load(cls, history: History) -> SamplerState:
        return cls.from_meta(history.get_meta(STATE_KEY))

    def save(self, history: History) -> None:
        history.set_meta(STATE_KEY, self.to_meta())


def sample(cfg: LoadedConfig, state: SamplerState, now: float) -> list[Sample]:
    """Every signal for every service and endpoint, once. Updates `state` (the caller saves it)."""
    probes = state.probes_for(cfg)
    first_since = state.last_sample if state.last_sample is not None else now - cfg.model.watch.sample_every_s
    with ThreadPoolExecutor(max_workers=2) as pool:
        outside = pool.submit(_outside_signals, cfg, probes, state, first_since)
        samples = _engine_signals(cfg, probes, state, first_since)
        samples += outside.result()
    state.last_sample = now
    return [Sample(s.signal, s.subject, s.value, REDACTOR.scrub_any(s.detail)) for s in samples]


# -- engine: service.up, memory.percent, log.errors, auth.failures ------------------------------
def _engine_signals(cfg: LoadedConfig, probes: Probes, state: SamplerState, first_since: float) -> list[Sample]:
    engine = probes.engine
    declared = list(cfg.model.target.services)
    try:
        services = engine.service_states()
        containers = engine.containers_now()
    except Exception as exc:  # any failure to see the engine is recorded, never raised
        error = {"error": reason(exc)}
        return [Sample(sig, name, 0.0 if sig == "service.up" else FAILED, error)
                for name in declared for sig in ("service.up", "memory.percent", "log.errors", "auth.failures")]
    by_name = {s.name: s for s in services}
    names = sorted(set(declared) | set(by_name))
    with ThreadPoolExecutor(max_workers=min(PARALLEL, max(1, len(services)) + 1)) as pool:
        memory = pool.submit(_stats, probes)
        reads = _read_all_logs(engine, services, state, first_since, pool)
    _forget_gone(state, services)

    got = memory.result()
    # Health from every node read this sample; the engine's own list when no node round could be had.
    seen = got.containers if isinstance(got, MemoryRound) else containers
    unread = _unread_by_service(got) if isinstance(got, MemoryRound) else {}
    samples = [_service_up(name, by_name.get(name), seen, engine.stack, unread.get(name, [])) for name in names]
    samples += _memory(names, got)
    samples += _log_counts(cfg, names, reads)
    return samples


def _service_up(name: str, svc: ServiceState | None, containers: list[ContainerFacts], stack: str,
                health_unread: list[str] | None = None) -> Sample:
    """Up: every desired task running and, with a healthcheck, each one healthy as its node reports it.
    A node that could not be read leaves its replicas' health unknown: named in the detail (the
    memory signal fails for them), never counted as unhealthy, which would trigger a restart."""
    if svc is None:
        return Sample("service.up", name, 0.0, {"error": f"service {name} not found in stack {stack}"})
    current = {t.container_id for t in svc.tasks if t.desired_state == "running" and t.state == "running"}
    unhealthy = sorted(c.name for c in containers if c.service == name and c.status == "running"
                       and c.id in current and svc.has_healthcheck and c.health != "healthy")
    up = svc.desired_tasks > 0 and svc.running_tasks >= svc.desired_tasks and not unhealthy
    detail: dict[str, Any] = {"running": svc.running_tasks, "desired": svc.desired_tasks}
    if unhealthy:
        detail["not_healthy"] = unhealthy
    if health_unread:
        detail["health_not_read_on"] = health_unread
    return Sample("service.up", name, 1.0 if up else 0.0, detail)


@dataclass(frozen=True)
class MemoryRound:
    """One stats round over every node of the stack."""

    figures: list[tuple[str, StatsFacts]]  # (node, one container's figures)
    containers: list[ContainerFacts]  # every running container read, on every node (with its health)
    placed: set[str]  # services with a running task on some node (or a figure: compose has no tasks)
    problems: list[NodeProblem]  # nodes that could not be read
    services_on: dict[str, set[str]]  # problem node ID -> the services it runs (empty: unknown, all)


def node_label(node: NodeRef) -> str:
    """Hostname and node ID: two nodes may share a hostname."""
    return f"{node.hostname or '?'} ({node.id[:12]})" if node.id else node.hostname


def _stats(probes: Probes) -> MemoryRound | str:
    """Every node's containers, read afresh this sample; the placement is read again, the hosts kept."""
    try:
        probes.nodes = view = probes.nodes.refreshed()
        found, problems = stats_now(view)
        placement = view.placement()
    except Exception as exc:  # recorded as the memory signal's failure
        return reason(exc)
    figures = [(node_label(n), s) for n, (_, ss) in found.items() for s in ss]
    containers = [c for cs, _ in found.values() for c in cs]
    placed = {t.service for ts in placement.values() for t in ts} | {s.service for _, s in figures}
    services_on = {p.node.id: {t.service for t in placement.get(p.node, [])} for p in problems}
    return MemoryRound(figures, containers, placed, problems, services_on)


def _unread_by_service(got: MemoryRound) -> dict[str, list[str]]:
    """Service -> the nodes running a task of it that could not be read this sample."""
    out: dict[str, list[str]] = {}
    for p in got.problems:
        for service in got.services_on[p.node.id]:
            out.setdefault(service, []).append(node_label(p.node))
    return out


def _memory(names: list[str], got: MemoryRound | str) -> list[Sample]:
    """memory.percent of each service: its container nearest its limit, on whichever node. A service
    with a task on a node that could not be read is FAILED naming that node (no figure from the rest)."""
    out = []
    for name in names:
        if isinstance(got, str):
            out.append(Sample("memory.percent", name, FAILED, {"error": got}))
            continue
        unread = [p.describe() for p in got.problems if name in got.services_on[p.node.id]
                  or not got.services_on[p.node.id]]
        if unread:
            out.append(Sample("memory.percent", name, FAILED,
                              {"error": f"memory of service {name} not read on every node: {'; '.join(unread)}"}))
            continue
        mine = [(node, s) for node, s in got.figures if s.service == name and s.memory_limit_bytes > 0]
        if not mine:
            why = "no running container" if name not in got.placed else "no memory figures"
            out.append(Sample("memory.percent", name, FAILED, {"error": f"{why} for service {name}"}))
            continue
        node, top = max(mine, key=lambda ns: ns[1].memory_bytes / ns[1].memory_limit_bytes)
        out.append(Sample("memory.percent", name, round(100.0 * top.memory_bytes / top.memory_limit_bytes, 2),
                          {"container": top.container, "node": node, "memory_bytes": top.memory_bytes,
                           "limit_bytes": top.memory_limit_bytes, "containers": len(mine)}))
    return out


@dataclass(frozen=True)
class _Read:
    service: str
    lines: list[LogLine]
    error: str = ""


def _read_all_logs(engine: Engine, services: list[ServiceState], state: SamplerState, first_since: float,
                   pool: ThreadPoolExecutor) -> list[_Read]:
    """Each service's new lines through the manager (every node); a failed node listing fails them all."""
    try:
        nodes = engine.node_names()
    except Exception as exc:  # recorded as every service's log signals' failure
        return [_Read(s.name, [], reason(exc)) for s in services]
    return list(pool.map(lambda s: _read_logs(engine, s, nodes, state, first_since), services))


def _read_logs(engine: Engine, svc: ServiceState, nodes: dict[str, str], state: SamplerState,
               first_since: float) -> _Read:
    """The service's tasks not read to their end, from the oldest point one of them still needs
    (through the manager); each line then counts only past its own task's mark (a task new to the
    state: from first_since)."""
    open_tasks = [t for t in svc.tasks if t.id not in state.logs_done]
    if not open_tasks:
        return _Read(svc.name, [])
    since = min(state.log_since.get(t.id, first_since) for t in open_tasks)
    try:
        lines = engine.service_logs(replace(svc, tasks=open_tasks), since, nodes)
    except Exception as exc:  # recorded as the log signals' failure; read again next time
        return _Read(svc.name, [], reason(exc))
    fresh = []
    for line in lines:
        if line.task in state.logs_done:
            continue
        mark = state.log_since.get(line.task)
        # The daemon's `since` is inclusive: the last line counted comes back; drop it (and older).
        if (line.timestamp > mark) if mark is not None else (line.timestamp >= first_since):
            fresh.append(line)
    for line in fresh:
        state.log_since[line.task] = max(state.log_since.get(line.task, line.timestamp), line.timestamp)
    for t in svc.tasks:
        state.log_since.setdefault(t.id, first_since)  # nothing from it yet: count from first_since
        if t.state in FINAL_STATES:
            state.logs_done.add(t.id)  # ended before this read: its log is complete
    return _Read(svc.name, fresh)


def _forget_gone(state: SamplerState, services: list[ServiceState]) -> None:
    """Tasks swarm no longer lists leave the state (bounded over 24 h of task churn)."""
    ids = {t.id for s in services for t in s.tasks}
    for task_id in [k for k in state.log_since if k not in ids]:
        del state.log_since[task_id]
    state.logs_done &= ids


def _log_counts(cfg: LoadedConfig, names: list[str], reads: list[_Read]) -> list[Sample]:
    patterns = {"log.errors": cfg.model.infra.logs.pattern,
                "auth.failures": cfg.model.watch.triggers.auth_failure_pattern}
    out = []
    for name in names:
        mine = [r for r in reads if r.service == name]
        errors = [f"service {name}: {r.error}" for r in mine if r.error]
        lines = [line for r in mine for line in r.lines]
        for signal, pattern in patterns.items():
            if errors:
                out.append(Sample(signal, name, FAILED, {"error": "; ".join(errors)}))
                continue
            hits = matching(lines, pattern)
            detail: dict[str, Any] = {"lines": len(lines), "tasks": len({line.task for line in lines})}
            if hits:
                detail["example"] = hits[-1].text[:EXCERPT]
                detail["nodes"] = sorted({h.node for h in hits})
            out.append(Sample(signal, name, float(len(hits)), detail))
    return out


# -- outside the engine: security.alerts, http.response_s, http.ok -------------------------------
def _outside_signals(cfg: LoadedConfig, probes: Probes, state: SamplerState, first_since: float) -> list[Sample]:
    return [_alerts(cfg, probes.monitor, state, first_since), *_endpoints(cfg, probes.http)]


def _alerts(cfg: LoadedConfig, http: Http, state: SamplerState, first_since: float) -> Sample:
    mon = cfg.model.security.monitoring
    try:
        alerts = monitor_alerts(http, mon.alerts_path)
    except Exception as exc:  # recorded; the state is kept, so the next read catches up
        return Sample("security.alerts", mon.service, FAILED, {"error": reason(exc)})
    new = new_alerts(alerts, state.last_alert, first_since)
    if alerts:
        state.last_alert = {"id": alerts[-1].id, "raised_at": alerts[-1].raised_at}
    elif state.last_alert is None or state.last_alert["id"] != 0:
        state.last_alert = {"id": 0, "raised_at": ""}
    counted = [a for a in new if not is_test_alert(a)]
    detail: dict[str, Any] = {"listed": len(alerts), "test_alerts_excluded": len(new) - len(counted)}
    if counted:
        detail["alerts"] = [{"id": a.id, "kind": a.kind, "source": a.source, "raised_at": a.raised_at,
                             "message": a.message} for a in counted[:20]]
    return Sample("security.alerts", mon.service, float(len(counted)), detail)


def is_test_alert(alert: Alert) -> bool:
    """The monitor marks alerts raised on request (POST alerts/test, SEC-07's drill) kind "test"."""
    return alert.kind.strip().lower() == "test"


def new_alerts(alerts: list[Alert], last: dict[str, Any] | None, first_since: float) -> list[Alert]:
    """Alerts raised since the newest one seen before (alerts sorted by id).

    The monitor numbers alerts from 1 again when it restarts: when the alert seen last is no longer
    listed with the same id and time, every listed alert is new. Before the first read, the alerts
    raised since `first_since` count (one sample interval, or since the previous watcher's last
    sample)."""
    if last is None:
        return [a for a in alerts if (epoch(a.raised_at) or 0.0) >= first_since]
    if last["id"] == 0:
        return list(alerts)
    anchor = next((a for a in alerts if a.id == last["id"]), None)
    if anchor is None or anchor.raised_at != last["raised_at"]:
        return list(alerts)
    return [a for a in alerts if a.id > last["id"]]


def _endpoints(cfg: LoadedConfig, http: Http) -> list[Sample]:
    out = []
    for path in cfg.model.watch.endpoints:
        try:
            result = http.get(path)
        except Exception as exc:  # no answer: recorded as not ok, response -1
            error = {"error": reason(exc)}
            out += [Sample("http.response_s", path, FAILED, error), Sample("http.ok", path, 0.0, error)]
            continue
        detail: dict[str, Any] = {"status": result.status}
        ok = 200 <= result.status < 300
        if not ok:
            detail["body"] = re.sub(r"\s+", " ", result.excerpt(120))
        out += [Sample("http.response_s", path, round(result.elapsed_s, 4), detail),
                Sample("http.ok", path, 1.0 if ok else 0.0, detail)]
    return out
