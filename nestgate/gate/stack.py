"""The target as one control sees it, the way testinfra's `host` fixture gives a test its host:
the running containers of a service, a compose service, a database session, each recorded as
the control's source and each failing the control, naming the stack, when it is not there.

Every accessor runs in the control's call phase, so what is missing is a failure of that control
(or "evidence unavailable" when a probe cannot read it), never a setup error of another test.
"""

from __future__ import annotations

from nestgate.config import LoadedConfig
from nestgate.gate.evidence import Evidence
from nestgate.probes.credentials import read_secret
from nestgate.probes.data_clients import PgSession
from nestgate.probes.declared import DeclaredService, LazyDeclared
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts, ServiceState
from nestgate.probes.nodes import Nodes
from nestgate.probes.nodes_read import node_containers
from nestgate.rules.findings import Finding, node_gap_findings
from nestgate.rules.inf06_services import not_deployed


class Stack:
    def __init__(self, cfg: LoadedConfig, engine: Engine, nodes: Nodes, declared: LazyDeclared,
                 evidence: Evidence) -> None:
        self.cfg = cfg
        self.engine = engine
        self.nodes = nodes
        self.declared = declared
        self.evidence = evidence
        self.name = cfg.model.target.stack

    def running(self, service: str | None = None, role: str = "service") -> list[ContainerFacts]:
        """The running containers of one service (or of the whole stack) on every node that runs a task
        of it; none fails the control, and so does a node whose containers could not be read."""
        # the engine's own node too: a container of the stack that is no swarm task lives there
        by_node, gaps = self.nodes.each(lambda node, host: node_containers(self.nodes, node, host),
                                        None if service is None else {service}, engine_node=True)
        self.evidence.source(f"the stack's running containers on every node ({self.nodes.source()})")
        self.evidence.require(node_gap_findings(gaps, None if service is None else [service]))
        found = sorted((c for cs in by_node.values() for c in cs if service is None or c.service == service),
                       key=lambda c: (c.service, c.name))
        if found:
            return found
        if service is None:
            self.evidence.fail(Finding(f"stack {self.name}", "running containers", 0, "at least 1",
                                       says="no running containers"))
        self.evidence.fail(Finding(f"{role} {service}", "running containers", 0, "at least 1",
                                   says=f"no running container in stack {self.name}"))

    def deployed(self, service: str) -> ServiceState:
        """A swarm service of the stack, with its tasks; one the stack does not run fails the control."""
        states = {s.name: s for s in self.engine.service_states()}
        self.evidence.source(f"GET /services?status=true and GET /tasks on {self.engine.url} (stack {self.name})")
        if service not in states:
            self.evidence.fail(not_deployed(service, self.name, states))
        return states[service]

    def service(self, name: str) -> DeclaredService:
        """A service of the compose files; one they do not declare fails the control."""
        services = self.declared.services
        self.evidence.source(self.declared.source)
        if name not in services:
            self.evidence.fail(Finding(f"service {name}", "declared", False, True,
                                       says=f"not in the compose file(s) {self.declared.files} "
                                            f"(they declare: {', '.join(sorted(services)) or 'none'})"))
        return services[name]

    def postgres(self) -> PgSession:
        """A psql session (the server's own client, via exec) to the stack's PostgreSQL."""
        db = self.cfg.model.infra.database
        pg = PgSession.open(self.engine, db.service, db.port, db.user, read_secret(db.password, self.cfg),
                            self.cfg.model.target.call_timeout_s)
        self.evidence.source(f"{pg.describe(db.dbname)}; password: {db.password.describe()}")
        return pg
