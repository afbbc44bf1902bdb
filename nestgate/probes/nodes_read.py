"""What the controls read on one node, through its testinfra host: the stack's containers there,
one `docker stats` round from the cgroup files, each container's processes (the kernel's view), and
TCP connects from the node. Each is one command on the node; parsing is nestgate.probes.readers."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import docker.errors

from nestgate.errors import EvidenceUnavailable, one_line
from nestgate.probes import nodes_scripts
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts, StatsFacts, StatsRound
from nestgate.probes.nodes import NodeProblem, NodeRef, Nodes
from nestgate.probes.readers import node_sections as ns
from nestgate.probes.readers.proc_status import ProcessView, parse_status
from nestgate.probes.tcp import ConnectResult, addresses_in, routed_in

# runc's init stage of a `docker exec` (a healthcheck) shows as root with every capability before it
# drops them and execs the command in the same PID: it is judged by what it becomes.
RUNC_INIT = "runc:["
RUNC_INIT_GRACE_S = 2.0
INSPECT_PARALLEL = 16  # container inspect calls at once on the engine's own node (a watch sample)


def run_script(host: Any, script: str, args: list[str], timeout_s: float, what: str) -> str:
    """One sh program on the node with a deadline; its stdout, or EvidenceUnavailable with its reason."""
    command = " ".join(["timeout", str(max(1, int(timeout_s))), "sh", "-c", shlex.quote(script), "sh",
                        *(shlex.quote(a) for a in args)])
    try:
        result = host.run(command)
    except Exception as exc:  # the backend's own transport errors (ssh, paramiko, docker)
        raise EvidenceUnavailable(f"{what}: the command did not run on the node: {one_line(exc)}") from None
    if result.rc == 124:
        raise EvidenceUnavailable(f"{what} did not finish within {timeout_s:g} s on the node")
    if result.rc != 0:
        raise EvidenceUnavailable(f"{what} failed on the node (exit {result.rc}): "
                                  f"{one_line(result.stderr) or 'no output'}")
    return str(result.stdout)


# -- the stack's containers on a node ----------------------------------------------------------
def container_from_inspect(raw: dict[str, Any], stack: str) -> ContainerFacts:
    """A swarm task's container from `docker inspect` (the same fields Engine reads from the API)."""
    state = raw.get("State") or {}
    labels = (raw.get("Config") or {}).get("Labels") or {}
    return ContainerFacts(
        id=str(raw.get("Id", "")), name=str(raw.get("Name", "")).lstrip("/"),
        service=str(labels.get("com.docker.swarm.service.name", "")).removeprefix(f"{stack}_"),
        image=str((raw.get("Config") or {}).get("Image", "")), status=str(state.get("Status", "")),
        health=str((state.get("Health") or {}).get("Status", "")), pid=int(state.get("Pid") or 0),
        started_at=str(state.get("StartedAt", "")), inspect=raw)


def node_containers(nodes: Nodes, node: NodeRef, host: Any) -> list[ContainerFacts]:
    """The running containers of the stack's tasks on the node: the engine's API for its own node,
    `docker inspect` on the node (through its host) for the others."""
    if nodes.is_engine_node(node):
        return nodes.engine.running()
    key = ("containers", node.id)
    if key not in nodes.facts:  # like the engine's own container list: read once per run
        nodes.facts[key] = _inspect_on_node(nodes, node, host)
    return nodes.facts[key]


def _inspect_on_node(nodes: Nodes, node: NodeRef, host: Any) -> list[ContainerFacts]:
    ids = [t.container_id for t in nodes.placement().get(node, []) if t.container_id]
    if not ids:
        return []
    out = run_script(host, 'docker inspect "$@"', ids, nodes.timeout_s, "docker inspect of the stack's containers")
    try:
        raw = json.loads(out)
    except json.JSONDecodeError:
        raise EvidenceUnavailable("docker inspect on the node printed no JSON") from None
    found = [container_from_inspect(r, nodes.engine.stack) for r in raw if isinstance(r, dict)]
    return sorted((c for c in found if c.status == "running"), key=lambda c: (c.service, c.name))


def stack_containers(nodes: Nodes, only: set[str] | None = None
                     ) -> tuple[dict[NodeRef, list[ContainerFacts]], list[NodeProblem]]:
    """Every running container of the stack on every node (or of the services `only`), and the
    nodes that could not be read (nestgate.probes.nodes.NodeProblem)."""
    found, problems = nodes.each(lambda node, host: node_containers(nodes, node, host), only)
    if only is not None:
        found = {n: [c for c in cs if c.service in only] for n, cs in found.items()}
    return found, problems


# -- docker stats from the node's cgroup files -------------------------------------------------
def stats_round(host: Any, containers: list[ContainerFacts], timeout_s: float) -> list[StatsFacts]:
    """One sample of every given container on the node, from its cgroup files; the daemon's arithmetic
    (usage minus inactive file pages; no limit shows as the host's memory)."""
    out = run_script(host, nodes_scripts.STATS, [f"{c.id}:{c.pid}" for c in containers if c.pid], timeout_s,
                     "reading the containers' cgroup files")
    parts = ns.sections(out)
    head = {s.kind: s.text for s in parts if s.kind in ("stat", "meminfo", "ticks", "cpus")}
    try:
        system_ns = ns.host_cpu_ns(head["stat"], int(head["ticks"]))
        host_memory, online = ns.mem_total_bytes(head["meminfo"]), int(head["cpus"])
    except (KeyError, ValueError, IndexError):
        raise EvidenceUnavailable("the node's /proc/stat, /proc/meminfo or CPU count could not be read") from None
    files: dict[str, dict[str, str]] = {}
    for s in parts:
        if s.kind == "file" and len(s.args) == 2:
            files.setdefault(s.args[0], {})[s.args[1]] = s.text
    stats = []
    for c in containers:
        mem = ns.cgroup_memory(files.get(c.id, {}))
        if mem is None:
            raise EvidenceUnavailable(f"the cgroup files of container {c.name} cannot be read on its node")
        limit = host_memory if mem.limit_bytes is None else mem.limit_bytes
        stats.append(StatsFacts(
            container=c.name, service=c.service, memory_bytes=max(0, mem.usage_bytes - mem.inactive_file_bytes),
            memory_limit_bytes=min(limit, host_memory) if host_memory else limit, cpu_percent=0.0,
            online_cpus=online, cpu_total_ns=mem.cpu_ns, system_cpu_ns=system_ns, source="cgroup"))
    return stats


# -- the kernel's view of a container's processes ----------------------------------------------
def processes(host: Any, containers: list[ContainerFacts], timeout_s: float,
              engine: Engine | None = None, read: list[ns.Section] | None = None) -> dict[str, list[ProcessView]]:
    """Container ID -> its processes (cgroup.procs, then /proc/<pid>/status of each), on the node.
    `engine`: the node's own engine, for `docker top` when the cgroup cannot be read there.
    `read`: the PROCESSES sections already read on the node (covering at least these containers)."""
    if read is None:
        read = read_processes(host, containers, timeout_s)
    by_id = {c.id: c for c in containers}
    cgroups: dict[tuple[str, str], str] = {}
    views: dict[str, list[ProcessView]] = {c.id: [] for c in containers}
    missing: list[ContainerFacts] = []
    for s in read:
        if s.kind == "nocgroup" and s.args and s.args[0] in by_id:
            missing.append(by_id[s.args[0]])
        elif s.kind == "cgroup" and len(s.args) == 2:
            cgroups[s.args] = s.text
        elif s.kind == "status" and len(s.args) == 2 and s.args[0] in views:
            cid, pid = s.args
            if cid not in cgroups.get((cid, pid), ""):
                raise EvidenceUnavailable(f"/proc/{pid} is not a process of container {by_id[cid].name} (its "
                                          "cgroup does not name it): the node's host must see its PID namespace")
            views[cid].append(parse_status(int(pid), s.text))
    for c in missing:
        if engine is None:
            raise EvidenceUnavailable(f"the cgroup of container {c.name} cannot be read on its node")
        views[c.id] = _statuses(host, c, _top_pids(engine, c), timeout_s)
    return {cid: _settled(host, by_id[cid], vs, timeout_s) for cid, vs in views.items()}


def read_processes(host: Any, containers: list[ContainerFacts], timeout_s: float) -> list[ns.Section]:
    out = run_script(host, nodes_scripts.PROCESSES, [f"{c.id}:{c.pid}" for c in containers], timeout_s,
                     "reading the containers' processes from /proc")
    return ns.sections(out)


def kernel_view(nodes: Nodes, node: NodeRef, host: Any) -> list[ns.Section]:
    """The PROCESSES read of every container of the stack on the node, once per run: SEC-04 judges
    each service apart, and one command per node is one ssh round trip where one per service was N."""
    key = ("processes", node.id)
    if key not in nodes.facts:
        nodes.facts[key] = read_processes(host, node_containers(nodes, node, host), nodes.timeout_s)
    return nodes.facts[key]


def _top_pids(engine: Engine, container: ContainerFacts) -> list[str]:
    raw = engine.call("container top", lambda api: api.top(container.id))
    titles = raw.get("Titles") or []
    if "PID" not in titles:
        raise EvidenceUnavailable(f"docker top {container.name} gave no PID column ({titles})")
    return [str(row[titles.index("PID")]) for row in raw.get("Processes") or []]


def _statuses(host: Any, container: ContainerFacts, pids: list[str], timeout_s: float) -> list[ProcessView]:
    out = run_script(host, nodes_scripts.STATUS, pids, timeout_s, f"reading /proc of container {container.name}")
    return [parse_status(int(s.args[0]), s.text) for s in ns.sections(out) if s.kind == "status" and s.args]


def _settled(host: Any, container: ContainerFacts, views: list[ProcessView], timeout_s: float) -> list[ProcessView]:
    """Processes still in runc's init stage, read again until they exec'd (or the grace period ends)."""
    deadline = time.monotonic() + RUNC_INIT_GRACE_S
    while any(v.name.startswith(RUNC_INIT) for v in views) and time.monotonic() < deadline:
        time.sleep(0.05)
        pending = [str(v.pid) for v in views if v.name.startswith(RUNC_INIT)]
        again = {v.pid: v for v in _statuses(host, container, pending, timeout_s)}
        views = [again.get(v.pid, v) if v.name.startswith(RUNC_INIT) else v
                 for v in views if not v.name.startswith(RUNC_INIT) or v.pid in again]
    if not views:
        raise EvidenceUnavailable(f"container {container.name} has no processes that could be read from /proc")
    return views


# -- TCP connects from the node (SEC-05) -------------------------------------------------------
@dataclass(frozen=True)
class NodeNetwork:
    fib_trie: str  # /proc/net/fib_trie
    route: str  # /proc/net/route
    gwbridge: dict[str, list[str]] | None  # container ID -> its docker_gwbridge addresses, when asked


def node_network(host: Any, timeout_s: float, with_gwbridge: bool) -> NodeNetwork:
    """The node's routes, and (asked) its docker_gwbridge addresses from `docker network inspect`."""
    out = run_script(host, nodes_scripts.ROUTES, ["gwbridge"] if with_gwbridge else [], timeout_s,
                     "reading the node's routes" + (" and docker_gwbridge" if with_gwbridge else ""))
    parts = {s.kind: s.text for s in ns.sections(out)}
    return NodeNetwork(parts.get("fib_trie", ""), parts.get("route", ""),
                       gwbridge_addresses(parts.get("gwbridge", "")) if with_gwbridge else None)


def outcome(rc: int, error: str) -> str:
    """bash's /dev/tcp result as tcp.connect names it."""
    text = error.lower()
    if rc == 0:
        return "connected"
    if rc == 124:
        return "timeout"
    if "refused" in text:
        return "refused"
    if "no route" in text or "unreachable" in text:
        return "unreachable"
    return f"error ({one_line(error) or f'exit {rc}'})"


def connects(host: Any, targets: list[tuple[str, int]], timeout_s: float) -> list[ConnectResult]:
    """A TCP connect from the node to each target, all at once."""
    if not targets:
        return []
    started = time.monotonic()
    out = run_script(host, nodes_scripts.CONNECT, [f"{timeout_s:g}", *(f"{h}:{p}" for h, p in targets)],
                     timeout_s + 10, "TCP connects from the node")
    elapsed = time.monotonic() - started
    got = {}
    for s in ns.sections(out):
        if s.kind == "connect" and len(s.args) == 3:
            got[(s.args[0], int(s.args[1]))] = ConnectResult(s.args[0], int(s.args[1]),
                                                            outcome(int(s.args[2]), s.text), elapsed)
    missing = [f"{h}:{p}" for h, p in targets if (h, p) not in got]
    if missing:
        raise EvidenceUnavailable(f"TCP connects from the node gave no result for {', '.join(missing)}")
    return [got[t] for t in targets]


# -- what the controls ask for, over every node at once ----------------------------------------
def hardening_view(nodes: Nodes, only: set[str] | None = None, outside: set[str] | None = None
                   ) -> tuple[list[tuple[ContainerFacts, list[ProcessView]]], list[NodeProblem]]:
    """Every running container of the stack (of the services `only`, or of any service not in
    `outside`) on every node, with its processes as the node's kernel sees them; nodes that could not
    be read are problems."""
    if outside is not None:
        only = {t.service for ts in nodes.placement().values() for t in ts} - outside

    def keep(c: ContainerFacts) -> bool:
        return c.service not in outside if outside is not None else only is None or c.service in only

    def one(node: NodeRef, host: Any) -> list[tuple[ContainerFacts, list[ProcessView]]]:
        here = [c for c in node_containers(nodes, node, host) if keep(c)]
        if not here:
            return []
        engine = nodes.engine if nodes.is_engine_node(node) else None
        procs = processes(host, here, nodes.timeout_s, engine, kernel_view(nodes, node, host))
        return [(c, procs[c.id]) for c in here]

    found, problems = nodes.each(one, only, engine_node=outside is not None)
    return [pair for node in found for pair in found[node]], problems


def stats_window(nodes: Nodes, rounds: int, interval_s: float
                 ) -> tuple[list[ContainerFacts], list[StatsRound], list[NodeProblem]]:
    """`rounds` samples of every running container of the stack on every node, `interval_s` apart,
    each round over all nodes at once. A node that fails any round is left out of every round (a
    total over some rounds only would be no total) and is a problem."""
    placed, problems = stack_containers(nodes)
    alive = {n: cs for n, cs in placed.items() if cs}
    samples: list[tuple[float, float, dict[NodeRef, list[StatsFacts]]]] = []
    first = time.monotonic()
    for i in range(rounds):
        time.sleep(max(0.0, first + i * interval_s - time.monotonic()))
        started = time.monotonic()
        got, failed = nodes.each(lambda node, host: stats_round(host, alive[node], nodes.timeout_s)
                                 if node in alive else [])
        problems += failed
        for p in failed:
            alive.pop(p.node, None)
        samples.append((started - first, time.monotonic() - started, got))
    out = [StatsRound(at_s=at, duration_s=took, stats=[s for n in alive for s in got.get(n, [])])
           for at, took, got in samples]
    return [c for cs in alive.values() for c in cs], out, problems


def running_now(nodes: Nodes, node: NodeRef, host: Any) -> list[ContainerFacts]:
    """The stack's running containers on the node as they are now (never cached: a watch sample):
    the engine's list and inspect for its own node, `docker inspect` on the node for the others."""
    if not nodes.is_engine_node(node):
        return _inspect_on_node(nodes, node, host)
    engine = nodes.engine

    def inspected(c: ContainerFacts) -> ContainerFacts | None:
        try:
            raw = engine.call("container inspect", lambda api: api.inspect_container(c.id))
        except docker.errors.NotFound:
            return None  # removed since it was listed
        except docker.errors.APIError as exc:
            raise EvidenceUnavailable(f"container inspect {c.name}: {one_line(exc)}") from None
        state = raw.get("State") or {}
        return replace(c, pid=int(state.get("Pid") or 0), inspect=raw) if state.get("Status") == "running" else None

    listed = [c for c in engine.containers_now() if c.status == "running"]
    if not listed:
        return []
    with ThreadPoolExecutor(max_workers=min(INSPECT_PARALLEL, len(listed))) as pool:
        return [c for c in pool.map(inspected, listed) if c is not None]


def stats_now(nodes: Nodes) -> tuple[dict[NodeRef, tuple[list[ContainerFacts], list[StatsFacts]]], list[NodeProblem]]:
    """One `docker stats` round of every running container of the stack on every node, all nodes at
    once, the containers listed afresh (with their health) and their figures; a node that could not be
    read is a problem, never left out."""

    def one(node: NodeRef, host: Any) -> tuple[list[ContainerFacts], list[StatsFacts]]:
        here = running_now(nodes, node, host)
        return here, (stats_round(host, here, nodes.timeout_s) if here else [])

    return nodes.each(one)


@dataclass(frozen=True)
class NodeConnects:
    """TCP connects from the node that runs a container, to the container's addresses and ports."""

    container: ContainerFacts
    node: str  # the node's hostname
    results: list[ConnectResult]
    not_routed: list[str]  # container addresses the node only reaches through its gateway: not tried


def gwbridge_addresses(out: str) -> dict[str, list[str]]:
    """Container ID -> its docker_gwbridge addresses, from `docker network inspect`'s JSON."""
    try:
        raw = json.loads(out)
    except json.JSONDecodeError:
        raise EvidenceUnavailable("docker network inspect docker_gwbridge on the node printed no JSON") from None
    found: dict[str, list[str]] = {}
    for net in raw if isinstance(raw, list) else []:
        for cid, ep in (net.get("Containers") or {}).items():
            addr = str(ep.get("IPv4Address") or "").split("/")[0]
            if addr:
                found.setdefault(cid, []).append(addr)
    return found


def data_connects(nodes: Nodes, services: set[str], engine_gateways: dict[str, list[str]],
                  targets_of: Callable[[ContainerFacts, list[str]], list[tuple[str, int]]],
                  addresses_of: Callable[[ContainerFacts], set[str]], timeout_s: float
                  ) -> tuple[list[NodeConnects], list[NodeProblem]]:
    """From each node that runs a container of `services`: TCP connects to each such container's
    addresses (those the node routes to itself, and the node's own) on its ports (`targets_of` turns
    addresses into host:port targets), all of a node's at once."""

    def one(node: NodeRef, host: Any) -> list[NodeConnects]:
        here = [c for c in node_containers(nodes, node, host) if c.service in services]
        if not here:
            return []
        net = node_network(host, nodes.timeout_s, with_gwbridge=not nodes.is_engine_node(node))
        fib, route = net.fib_trie, net.route
        gateways = engine_gateways if net.gwbridge is None else net.gwbridge
        plans = []
        for c in here:
            addrs = addresses_of(c) | set(gateways.get(c.id, []))
            unrouted = sorted(a for a in addrs if not routed_in(a, fib, route))
            plans.append((c, unrouted, targets_of(c, sorted((addrs - set(unrouted)) | set(addresses_in(fib))))))
        results = connects(host, sorted({t for _, _, ts in plans for t in ts}), timeout_s)
        by_target = {(r.host, r.port): r for r in results}
        return [NodeConnects(c, node.hostname, [by_target[t] for t in ts], unrouted) for c, unrouted, ts in plans]

    found, problems = nodes.each(one, services)
    return [x for node in found for x in found[node]], problems
