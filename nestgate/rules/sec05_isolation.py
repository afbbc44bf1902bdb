"""SEC-05 logic: internal networks, who publishes ports, and which host-side addresses and ports a
data service must refuse. Pure functions over compose JSON and `docker inspect` dicts.
"""

from __future__ import annotations

from typing import Any


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
