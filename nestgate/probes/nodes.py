"""Every swarm node that runs a task of the stack, each reached through its testinfra host.

The manager says which node runs which task (GET /tasks, GET /nodes); `[target.nodes]` says how to
reach each node (nestgate.config.nodes). Everything that reads a node's files or runs a command on
it goes through that host (nestgate.probes.nodes_read), for all nodes at once (threads). A node with
no access, or whose host does not answer, is a NodeProblem the controls judge: fail closed, per node.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import shutil
import tempfile
import threading
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import testinfra

from nestgate.config.load import LoadedConfig
from nestgate.config.nodes import NodeEntry, NodeHost, node_host
from nestgate.errors import EvidenceUnavailable, one_line
from nestgate.probes.engine import Engine

T = TypeVar("T")
LOCAL = "local://"
# An engine on this machine: its node's files are this machine's files.
LOCAL_ENGINE_PREFIXES = ("unix://", "npipe://")


@dataclass(frozen=True)
class TaskOnNode:
    service: str  # without the stack prefix
    task: str  # "app.2" (replicated) or "app.<node id 12>" (global)
    container_id: str


@dataclass(frozen=True)
class NodeRef:
    id: str
    hostname: str
    state: str = ""
    availability: str = ""

    def describe(self) -> str:
        return f"swarm node {self.hostname or '?'} ({self.id[:12]})"


@dataclass(frozen=True)
class NodeProblem:
    """A node whose facts a control needs but cannot get: no access configured, or no answer."""

    node: NodeRef
    reason: str
    tasks: tuple[str, ...]  # the stack's tasks on it ("app.2")

    def describe(self) -> str:
        return f"{self.node.describe()}: {self.reason}; it runs {', '.join(self.tasks)}"


class NodeUnavailable(EvidenceUnavailable):
    def __init__(self, problem: NodeProblem) -> None:
        super().__init__(problem.describe())
        self.problem = problem


def host_spec(entry: NodeHost, base_dir: Path, timeout_s: float = 10.0) -> tuple[str, dict[str, Any]]:
    """The testinfra spec and keyword options for one node's entry (ssh options non-interactive;
    the connect timeout is the target's call timeout)."""
    scheme = entry.host.partition("://")[0]
    kw: dict[str, Any] = {}
    if scheme in ("ssh", "paramiko"):
        kw["timeout"] = int(max(1, timeout_s))
        if entry.identity_file:
            kw["ssh_identity_file"] = str((base_dir / entry.identity_file).resolve())
    if scheme == "ssh":
        # One connection per node for the whole run: testinfra asks for ControlMaster, but without a
        # ControlPath ssh opens a new connection (a new handshake) for every command.
        # (A fixed name per host: testinfra pastes the path into a %-format, so ssh's %C cannot be used.)
        kw["controlpath"] = str(_control_dir() / hashlib.sha256(entry.host.encode()).hexdigest()[:16])
        opts = [f"-o StrictHostKeyChecking={entry.strict_host_key_checking}", "-o BatchMode=yes"]
        if entry.known_hosts_file:
            opts.append(f"-o UserKnownHostsFile={(base_dir / entry.known_hosts_file).resolve()}")
        kw["ssh_extra_args"] = " ".join(opts)
    return entry.host, kw


@functools.cache
def _control_dir() -> Path:
    """Private (0700) and removed at exit: the run's ssh control sockets."""
    path = Path(tempfile.mkdtemp(prefix="nestgate-ssh-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def redacted_spec(spec: str) -> str:
    """The spec without its query string (identity file paths, options): what a message names."""
    parts = urllib.parse.urlsplit(spec)
    return f"{parts.scheme}://{parts.netloc}"


class Nodes:
    """The stack's nodes and their hosts for one run; placement and hosts are fetched once."""

    def __init__(self, engine: Engine, entries: dict[str, NodeEntry], base_dir: Path, timeout_s: float) -> None:
        self.engine = engine
        self.entries = {name: node_host(e) for name, e in entries.items()}
        self.base_dir = base_dir
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._placement: dict[NodeRef, list[TaskOnNode]] | None = None
        self._engine_node: str | None = None
        self._hosts: dict[str, Any] = {}
        self._specs: dict[str, str] = {}  # node ID -> the spec used, without its options
        self.facts: dict[tuple[str, str], Any] = {}  # (what, node ID) -> a fact read once per run

    @classmethod
    def for_target(cls, cfg: LoadedConfig, engine: Engine) -> Nodes:
        t = cfg.model.target
        return cls(engine, t.nodes, cfg.base_dir, t.call_timeout_s)

    def refreshed(self) -> Nodes:
        """A new view for a long run (a watch sample): placement and per-run facts read again, the
        node hosts that answered kept (their ssh connections stay open); a node that could not be
        reached is tried again."""
        fresh = Nodes(self.engine, {}, self.base_dir, self.timeout_s)
        fresh.entries = self.entries
        fresh._engine_node = self._engine_node
        with self._lock:
            fresh._hosts = {k: h for k, h in self._hosts.items() if not isinstance(h, NodeProblem)}
            fresh._specs = dict(self._specs)
        return fresh

    # -- where the stack runs ---------------------------------------------------------------
    def engine_node_id(self) -> str:
        if self._engine_node is None:
            self._engine_node = str((self.engine.info().get("Swarm") or {}).get("NodeID") or "")
        return self._engine_node

    def placement(self) -> dict[NodeRef, list[TaskOnNode]]:
        """Each node that runs a task of the stack, with those tasks (desired and current: running)."""
        with self._lock:
            if self._placement is None:
                self._placement = self._read_placement()
            return self._placement

    def _read_placement(self) -> dict[NodeRef, list[TaskOnNode]]:
        if self.engine.orchestrator != "swarm":  # a compose project lives on the engine's own machine
            return {NodeRef("", "engine host"): []}
        nodes = {n.id: NodeRef(n.id, n.hostname, n.state, n.availability) for n in self.engine.nodes()}
        services = {s["ID"]: str((s.get("Spec") or {}).get("Name", "")) for s in self.engine.services()}
        out: dict[NodeRef, list[TaskOnNode]] = {}
        for t in self.engine.tasks():
            status = t.get("Status") or {}
            if t.get("DesiredState") != "running" or status.get("State") != "running":
                continue
            node_id = str(t.get("NodeID", ""))
            node = nodes.get(node_id, NodeRef(node_id, ""))
            service = services.get(str(t.get("ServiceID")), "").removeprefix(f"{self.engine.stack}_")
            slot = t.get("Slot")
            name = f"{service}.{slot}" if slot else f"{service}.{node_id[:12]}"
            cid = str((status.get("ContainerStatus") or {}).get("ContainerID", ""))
            out.setdefault(node, []).append(TaskOnNode(service, name, cid))
        return {n: sorted(ts, key=lambda t: t.task) for n, ts in sorted(out.items(), key=lambda kv: kv[0].hostname)}

    def source(self) -> str:
        """Where the placement came from and how each node was reached, for the evidence."""
        reached = sorted(f"{n.hostname or n.id[:12]} via {self._specs.get(n.id, 'no access')}"
                         for n in self.placement() if n.id in self._hosts)
        return (f"GET /tasks and GET /nodes on {self.engine.url} (which node runs which task of stack "
                f"{self.engine.stack}); node hosts: {', '.join(reached) or 'none used'}")

    def is_engine_node(self, node: NodeRef) -> bool:
        return node.id == "" or node.id == self.engine_node_id()

    # -- how each node is reached -----------------------------------------------------------
    def entry_for(self, node: NodeRef) -> NodeHost | None:
        for key in (node.hostname, node.id):
            if key and key in self.entries:
                return self.entries[key]
        prefixed = [e for k, e in self.entries.items() if len(k) >= 12 and node.id.startswith(k)]
        if prefixed:
            return prefixed[0]
        if self.is_engine_node(node) and self.engine.url.startswith(LOCAL_ENGINE_PREFIXES):
            return NodeHost(host=LOCAL)
        return None

    def problem(self, node: NodeRef, reason: str) -> NodeProblem:
        tasks = tuple(t.task for t in self.placement().get(node, []))
        return NodeProblem(node, reason, tasks)

    def host(self, node: NodeRef) -> Any:
        """The node's testinfra host, checked to answer; NodeUnavailable names the node and its tasks."""
        with self._lock:
            if node.id in self._hosts:
                found = self._hosts[node.id]
                if isinstance(found, NodeProblem):
                    raise NodeUnavailable(found)
                return found
        entry = self.entry_for(node)
        host: Any
        if entry is None:
            found = self.problem(node, "no access configured in [target.nodes] (hostname or node ID -> host spec)")
        else:
            spec, kw = host_spec(entry, self.base_dir, self.timeout_s)
            self._specs[node.id] = redacted_spec(spec)
            try:
                host = testinfra.get_host(spec, **kw)
                answer = host.run("true")
                found = host if answer.rc == 0 else self.problem(
                    node, f"host {redacted_spec(spec)} does not answer (exit {answer.rc}: "
                          f"{one_line(answer.stderr) or 'no output'})")
            except Exception as exc:  # testinfra raises what its backend raises: all mean "not reached"
                found = self.problem(node, f"host {redacted_spec(spec)} cannot be reached: {one_line(exc)}")
        with self._lock:
            self._hosts[node.id] = found
        if isinstance(found, NodeProblem):
            raise NodeUnavailable(found)
        return found

    def each(self, fn: Callable[[NodeRef, Any], T], only: set[str] | None = None, engine_node: bool = False
             ) -> tuple[dict[NodeRef, T], list[NodeProblem]]:
        """fn(node, host) on every node running a task of the stack (or of the services `only`; with
        `engine_node`, the engine's own node too: containers of the stack that are no swarm task live
        there), in parallel; a node that cannot be reached or read is a problem, never left out."""
        nodes = [n for n, ts in self.placement().items()
                 if only is None or (self.is_engine_node(n) and (engine_node or n.id == ""))
                 or any(t.service in only for t in ts)]
        if engine_node and not any(self.is_engine_node(n) for n in nodes):
            nodes.append(NodeRef(self.engine_node_id(), "engine node"))

        def one(node: NodeRef) -> T | NodeProblem:
            try:
                return fn(node, self.host(node))
            except NodeUnavailable as exc:
                return exc.problem
            except EvidenceUnavailable as exc:
                return self.problem(node, str(exc))

        results: dict[NodeRef, T] = {}
        problems: list[NodeProblem] = []
        if not nodes:
            return results, problems
        with ThreadPoolExecutor(max_workers=len(nodes)) as pool:
            for node, got in zip(nodes, pool.map(one, nodes), strict=True):
                if isinstance(got, NodeProblem):
                    problems.append(got)
                else:
                    results[node] = got
        return results, problems
