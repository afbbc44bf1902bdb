"""SEC-05 logic: internal networks, who publishes ports, and which host-side addresses and ports a
data service must refuse; and the segregation rules over them, declared and running. Pure
functions over compose JSON, `docker inspect` dicts and the connects the control made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.tcp import ConnectResult


def declared_internal(networks: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Compose key -> engine name of every network declared `internal: true`."""
    return {key: str(spec.get("name") or key) for key, spec in networks.items()
            if isinstance(spec, dict) and spec.get("internal")}


def declared_ports(spec: dict[str, Any]) -> list[str]:
    """A compose service's published ports as "published:target/proto"; exposed-only ports are not."""
    out = []
    for p in spec.get("ports") or []:
        if isinstance(p, dict) and p.get("published") not in (None, ""):
            out.append(f"{p.get('published')}:{p.get('target')}/{p.get('protocol') or 'tcp'}")
    return out


def declared_networks(spec: dict[str, Any]) -> list[str]:
    nets = spec.get("networks")
    return sorted(nets) if isinstance(nets, dict) else sorted(nets or [])


def container_networks(inspect: dict[str, Any]) -> dict[str, list[str]]:
    """Network name -> the container's IPv4 addresses on it."""
    nets = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    return {name: [a for a in [str((ep or {}).get("IPAddress") or "")] if a] for name, ep in nets.items()}


def container_published(inspect: dict[str, Any]) -> list[tuple[str, int, str]]:
    """(host IP, host port, "container_port/proto") for every port bound on the host."""
    out = set()
    ports = (inspect.get("NetworkSettings") or {}).get("Ports") or {}
    bindings = (inspect.get("HostConfig") or {}).get("PortBindings") or {}
    for source in (ports, bindings):
        for cport, binds in source.items():
            for b in binds or []:
                if str(b.get("HostPort") or "").isdigit():
                    out.add((str(b.get("HostIp") or "0.0.0.0"), int(b["HostPort"]), cport))
    return sorted(out)


def exposed_ports(inspect: dict[str, Any]) -> list[int]:
    """TCP ports the image/container exposes (Config.ExposedPorts)."""
    raw = (inspect.get("Config") or {}).get("ExposedPorts") or {}
    return sorted({int(k.split("/")[0]) for k in raw if k.endswith("/tcp") and k.split("/")[0].isdigit()})


def host_side_targets(addresses: list[str], ports: list[int],
                      published: list[tuple[str, int, str]]) -> list[tuple[str, int]]:
    """Where a host-side client could reach the service: each of its addresses on each service
    port, and each published binding (a wildcard bind is tried on loopback)."""
    targets = {(a, p) for a in addresses for p in ports}
    for ip, port, _ in published:
        targets.add(("127.0.0.1" if ip in ("0.0.0.0", "::", "") else ip, port))
    return sorted(targets)


def probe_ports(configured: list[int], inspect: dict[str, Any]) -> list[int]:
    """The ports a data container must refuse from the host: configured ones and those it exposes."""
    return sorted(set(configured) | set(exposed_ports(inspect)))


def _kind(name: str, data_services: list[str]) -> str:
    return "data service" if name in data_services else "service"


def publisher_findings(publishing: Mapping[str, list[str]], edge_services: list[str],
                       data_services: list[str]) -> list[Finding]:
    """Only edge services publish ports (service name -> its published ports, in order)."""
    return [Finding(f"{_kind(name, data_services)} {name}", "published ports", ports, f"edge services {edge_services}",
                    says=f"publishes {ports}; only edge services {edge_services} may publish")
            for name, ports in sorted(publishing.items()) if ports and name not in edge_services]


def declared_findings(services: Mapping[str, dict[str, Any]], networks: dict[str, dict[str, Any]],
                      data_services: list[str], edge_services: list[str]) -> list[Finding]:
    """The compose files: every data service is declared and attaches to internal networks only;
    only edge services publish (services: name -> compose spec)."""
    internal = declared_internal(networks)
    out = [Finding(f"data service {d}", "declared", False, True, says="is not in the compose file")
           for d in data_services if d not in services]
    for d in data_services:
        if d in services:
            outside = [n for n in declared_networks(services[d]) if n not in internal]
            if outside:
                out.append(Finding(f"data service {d}", "networks", outside, "internal only",
                                   says=f"attaches to non-internal network(s) {outside}"))
    return out + publisher_findings({name: declared_ports(spec) for name, spec in services.items()},
                                    edge_services, data_services)


def internal_network_findings(declared: dict[str, str], running: Mapping[str, bool]) -> list[Finding]:
    """Networks declared internal (compose key -> engine name) exist and are internal once deployed
    (running: engine name -> its Internal flag)."""
    out = []
    for key, name in sorted(declared.items()):
        if name not in running:
            out.append(Finding(f"network {name}", "exists", False, True,
                               says=f"declared internal (compose key {key}) does not exist"))
        elif not running[name]:
            out.append(Finding(f"network {name}", "Internal", False, True,
                               says="is declared internal but runs with Internal false"))
    return out


def no_container_findings(service: str, containers: Sequence[object], stack: str) -> list[Finding]:
    """A data service with no running container cannot be shown to be segregated."""
    if containers:
        return []
    return [Finding(f"data service {service}", "running containers", 0, "at least 1",
                    says=f"no running container in stack {stack}")]


def data_container_findings(subject: str, service: str, on_networks: Mapping[str, list[str]],
                            internal: Mapping[str, bool], ports: list[int],
                            connects: list[ConnectResult]) -> list[Finding]:
    """One data container: internal networks only (network name -> its Internal flag; unknown is not
    internal), a port to probe, and every TCP connect from the host refused (not connected)."""
    out = []
    outside = sorted(n for n in on_networks if not internal.get(n, False))
    if outside:
        out.append(Finding(subject, "networks", outside, "internal only",
                           says=f"attached to non-internal network(s) {outside}"))
    if not ports:
        return [*out, Finding(subject, "ports to probe", [], "at least one",
                              says=f"exposes no port and none is configured "
                                   f"(security.isolation.data_ports.{service})")]
    reached = [r.describe() for r in connects if r.connected]
    if reached:
        out.append(Finding(subject, "TCP connects from the host", reached, "refused",
                           says=f"a TCP connect from the host reached it at {', '.join(reached)} (expected refused)"))
    return out
