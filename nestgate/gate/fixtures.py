"""Fixtures every control may use: the target config, the evidence record, and the probes of
the target (engine, declared model, HTTP), each connecting on first use so an unreachable part
fails the control that needs it, in its call phase, with the reason."""

from __future__ import annotations

import pytest

from nestgate.config.load import LoadedConfig
from nestgate.errors import ConfigError, NestgateError
from nestgate.gate.collection import control_of
from nestgate.gate.evidence import Evidence
from nestgate.gate.stack import Stack
from nestgate.gate.state import CONFIG_PATH_KEY, EVIDENCE_KEY, loaded_config, run_waivers
from nestgate.gate.waivers import Waiver
from nestgate.probes.declared import LazyDeclared, declared_for
from nestgate.probes.engine import Engine
from nestgate.probes.http import Http
from nestgate.probes.nodes import Nodes


@pytest.fixture(scope="session")
def target_config(request: pytest.FixtureRequest) -> LoadedConfig:
    cfg = loaded_config(request.config)
    if cfg is None:
        raise ConfigError(f"{request.config.stash[CONFIG_PATH_KEY]}: target config not found")
    return cfg


@pytest.fixture
def evidence(request: pytest.FixtureRequest, target_config: LoadedConfig) -> Evidence:
    cid = control_of(request.node)
    if cid is None:
        raise NestgateError("the evidence fixture is for gate tests (control marker missing)")
    callspec = getattr(request.node, "callspec", None)
    subject = ",".join(str(v) for k, v in (callspec.params.items() if callspec else [])
                       if k != "nestgate_control")
    ev = Evidence(control_id=cid, target=f"{target_config.model.target.stack}"
                  + (f"/{subject}" if subject else ""))
    request.node.stash[EVIDENCE_KEY] = ev
    return ev


@pytest.fixture(scope="session")
def engine(target_config: LoadedConfig) -> Engine:
    """The Docker engine; connects on first use, so an unreachable daemon fails the control."""
    return Engine.for_target(target_config.model.target)


@pytest.fixture(scope="session")
def nodes(target_config: LoadedConfig, engine: Engine) -> Nodes:
    """Every swarm node running a task of the stack, each reached through its testinfra host on first
    use (SEC-04's kernel view, SEC-05's connects, PRF-04/PRF-06's cgroup figures); one per run."""
    return Nodes.for_target(target_config, engine)


@pytest.fixture(scope="session")
def declared(target_config: LoadedConfig) -> LazyDeclared:
    """The compose files as the real Compose CLI resolves them; loaded on first use (or already at
    collection, for the subjects: the same model either way)."""
    return declared_for(target_config)


@pytest.fixture(scope="session")
def http(target_config: LoadedConfig) -> Http:
    t = target_config.model.target
    return Http(t.base_url, t.call_timeout_s)


@pytest.fixture(scope="session")
def waivers(request: pytest.FixtureRequest) -> list[Waiver]:
    """The run's waiver entries (also for finding IDs such as CVEs); empty without a waiver file."""
    return run_waivers(request.config)


@pytest.fixture
def stack(target_config: LoadedConfig, engine: Engine, nodes: Nodes, declared: LazyDeclared, evidence: Evidence
          ) -> Stack:
    """The target as this control sees it: running containers, compose services, a database
    session; what is missing fails the control naming the stack (nestgate.gate.stack)."""
    return Stack(target_config, engine, nodes, declared, evidence)
