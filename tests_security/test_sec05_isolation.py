"""SEC-05 — Network isolation confirmed (internal/external segregation).

Networks declared internal are internal at runtime; data services (postgres, redis by default)
attach only to internal networks and publish no ports; only the edge service(s) publish ports;
a TCP connect from the host to each data service's ports is refused.
"""

import pytest

from nestgate.probes import swarm_objects
from nestgate.probes.tcp import connect_all, directly_routed, local_addresses
from nestgate.rules.sec05_isolation import (
    container_networks,
    container_published,
    declared_internal,
    declared_networks,
    declared_ports,
    exposed_ports,
    host_side_targets,
)

pytestmark = pytest.mark.security


@pytest.mark.declared
@pytest.mark.control("SEC-05")
def test_declared_segregation(target_config, declared, evidence):
    t = target_config.model.target
    internal = declared_internal(declared.networks)
    evidence.source(f"compose config of {', '.join(map(str, target_config.compose_paths))}")
    published = {name: declared_ports(s.spec) for name, s in declared.services.items()}
    evidence.measure(internal_networks=sorted(internal),
                     data_service_networks={d: declared_networks(declared.services[d].spec)
                                            for d in t.data_services if d in declared.services},
                     published_ports={k: v for k, v in published.items() if v})
    evidence.limit(data_services=t.data_services, edge_services=t.edge_services,
                   data_networks="internal only", publishers="edge services only")
    problems = [f"data service {d} is not in the compose file" for d in t.data_services
                if d not in declared.services]
    for d in t.data_services:
        if d in declared.services:
            outside = [n for n in declared_networks(declared.services[d].spec) if n not in internal]
            if outside:
                problems.append(f"data service {d} attaches to non-internal network(s) {outside}")
    for name, ports in sorted(published.items()):
        if ports and name not in t.edge_services:
            kind = "data service" if name in t.data_services else "service"
            problems.append(f"{kind} {name} publishes {ports}; only edge services {t.edge_services} may publish")
    assert not problems, "; ".join(problems)


@pytest.mark.runtime
@pytest.mark.control("SEC-05")
def test_running_segregation(target_config, declared, engine, evidence):
    t = target_config.model.target
    iso = target_config.model.security.isolation
    nets = {n.name: n for n in swarm_objects.networks(engine)}
    running = engine.running()
    services = swarm_objects.services(engine)
    evidence.source(f"GET /networks, /services, /containers (stack {engine.stack}) on {engine.url}")
    assert running, f"stack {engine.stack}: no running containers"
    problems = []

    # Internal networks stay internal once deployed.
    for key, name in sorted(declared_internal(declared.networks).items()):
        if name not in nets:
            problems.append(f"network {name} (compose key {key}) declared internal does not exist")
        elif not nets[name].internal:
            problems.append(f"network {name} is declared internal but runs with Internal false")
    evidence.measure(networks={n: {"internal": f.internal, "driver": f.driver} for n, f in nets.items()})

    # Only edge services publish; data services publish nothing (service endpoints and containers).
    publishing = {s.name: s.published for s in services if s.published}
    for c in running:
        bound = [f"{ip}:{port}->{cport}" for ip, port, cport in container_published(c.inspect)]
        if bound:
            publishing.setdefault(c.service or c.name, []).extend(bound)
    evidence.measure(published=publishing)
    for name, ports in sorted(publishing.items()):
        if name not in t.edge_services:
            kind = "data service" if name in t.data_services else "service"
            problems.append(f"{kind} {name} publishes {sorted(set(ports))}; only edge services "
                            f"{t.edge_services} may publish")

    # Data services: internal networks only, and nothing answers from the host.
    gateways = swarm_objects.gateway_addresses(engine)
    evidence.source(f"GET /networks/docker_gwbridge on {engine.url}; TCP connects from this host")
    probed = {}
    for d in t.data_services:
        containers = [c for c in running if c.service == d]
        if not containers:
            problems.append(f"data service {d}: no running container in stack {engine.stack}")
        for c in containers:
            found, probed[c.name] = _data_container(c, iso.data_ports.get(d, []), nets, gateways.get(c.id, []),
                                                    iso.connect_timeout_s)
            if found:
                problems.append(f"data service {d}: container {c.name}: {'; '.join(found)}")
    evidence.measure(tcp_connects_from_host=probed)
    evidence.limit(internal_networks="Internal true", data_service_networks="internal only",
                   publishers=t.edge_services, tcp_from_host="not connected")
    assert not problems, "; ".join(problems)


def _data_container(c, ports_configured, nets, gateway_addrs, timeout_s):
    """(problems, evidence) for one data container: its networks, then real connects from here."""
    on = container_networks(c.inspect)
    problems = []
    outside = sorted(n for n in on if not (n in nets and nets[n].internal))
    if outside:
        problems.append(f"attached to non-internal network(s) {outside}")
    container_addrs = {a for addrs in on.values() for a in addrs} | set(gateway_addrs)
    # Overlay addresses have no route from the host: a connect there would test the default
    # gateway, not the container. The host's own addresses always count.
    unrouted = sorted(a for a in container_addrs if not directly_routed(a))
    addresses = sorted((container_addrs - set(unrouted)) | set(local_addresses()))
    ports = sorted(set(ports_configured) | set(exposed_ports(c.inspect)))
    if not ports:
        return [*problems, f"exposes no port and none is configured (security.isolation.data_ports.{c.service})"], {}
    results = connect_all(host_side_targets(addresses, ports, container_published(c.inspect)), timeout_s)
    reached = [r.describe() for r in results if r.connected]
    if reached:
        problems.append(f"a TCP connect from the host reached it at {', '.join(reached)} (expected refused)")
    return problems, {"connects": [r.describe() for r in results], "not_routed_from_host": unrouted}
