"""Swarm secrets, services and networks as plain facts (names and metadata, never secret values),
and the few writes the SEC-06 rotation drill makes. Everything goes through Engine.call, so the
daemon's address and timeout rules hold here too.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import docker.errors

from nestgate.probes.engine import Engine
from nestgate.probes.readers.timestamps import parse_time

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class SecretFacts:
    id: str
    name: str
    created: dt.datetime
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SecretUse:
    secret_id: str
    secret_name: str
    target: str  # file name under /run/secrets


@dataclass(frozen=True)
class ServiceFacts:
    id: str
    name: str  # short name, without the stack prefix
    full_name: str
    version: int
    secrets: list[SecretUse]
    published: list[str]  # "published:target/proto (mode)"
    spec: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class NetworkFacts:
    id: str
    name: str
    internal: bool
    driver: str
    labels: dict[str, str] = field(default_factory=dict)


def secrets(engine: Engine) -> list[SecretFacts]:
    out = []
    for raw in engine.secrets():
        spec = raw.get("Spec") or {}
        out.append(SecretFacts(id=raw["ID"], name=str(spec.get("Name", "")),
                               created=parse_time(raw.get("CreatedAt")) or EPOCH,
                               labels=dict(spec.get("Labels") or {})))
    return sorted(out, key=lambda s: s.name)


def services(engine: Engine) -> list[ServiceFacts]:
    prefix = f"{engine.stack}_"
    out = []
    for raw in engine.services():
        spec = raw.get("Spec") or {}
        full = str(spec.get("Name", ""))
        container = (spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}
        uses = [SecretUse(s.get("SecretID", ""), s.get("SecretName", ""), (s.get("File") or {}).get("Name", ""))
                for s in container.get("Secrets") or []]
        ports = [f"{p.get('PublishedPort')}:{p.get('TargetPort')}/{p.get('Protocol', 'tcp')} "
                 f"({p.get('PublishMode', 'ingress')})"
                 for p in (raw.get("Endpoint") or {}).get("Ports") or (spec.get("EndpointSpec") or {}).get("Ports")
                 or [] if p.get("PublishedPort")]
        out.append(ServiceFacts(id=raw["ID"], name=full[len(prefix):] if full.startswith(prefix) else full,
                                full_name=full, version=int((raw.get("Version") or {}).get("Index", 0)),
                                secrets=uses, published=ports, spec=spec))
    return sorted(out, key=lambda s: s.name)


def networks(engine: Engine) -> list[NetworkFacts]:
    return [NetworkFacts(id=n["Id"], name=n.get("Name", ""), internal=bool(n.get("Internal")),
                         driver=n.get("Driver", ""), labels=dict(n.get("Labels") or {}))
            for n in engine.networks()]


def gateway_addresses(engine: Engine) -> dict[str, list[str]]:
    """Container ID -> its addresses on docker_gwbridge: the bridge through which a swarm task on a
    non-internal overlay reaches (and is reached from) the host. No gwbridge: no such addresses."""
    try:
        raw = engine.call("network inspect docker_gwbridge", lambda api: api.inspect_network("docker_gwbridge"))
    except docker.errors.NotFound:
        return {}
    out: dict[str, list[str]] = {}
    for cid, ep in (raw.get("Containers") or {}).items():
        addr = str(ep.get("IPv4Address") or "").split("/")[0]
        if addr:
            out.setdefault(cid, []).append(addr)
    return out


def service_tasks(engine: Engine, service: ServiceFacts) -> list[dict[str, Any]]:
    return engine.call("task ls", lambda api: api.tasks(filters={"service": service.id}))


def service_inspect(engine: Engine, service_id: str) -> dict[str, Any]:
    return engine.call("service inspect", lambda api: api.inspect_service(service_id))


def container_health(engine: Engine, container_id: str) -> str:
    try:
        raw = engine.call("container inspect", lambda api: api.inspect_container(container_id))
    except docker.errors.NotFound:
        return "gone"
    health = (raw.get("State") or {}).get("Health")
    return str(health.get("Status")) if health else "none"
