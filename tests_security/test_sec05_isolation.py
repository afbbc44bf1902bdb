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
    data_container_findings,
    declared_findings,
    declared_internal,
    declared_networks,
    declared_ports,
    host_side_targets,
    internal_network_findings,
    no_container_findings,
    probe_ports,
    publisher_findings,
)

pytestmark = pytest.mark.security


@pytest.mark.declared
@pytest.mark.control("SEC-05")
def test_declared_segregation(target_config, declared, evidence):
    t = target_config.model.target
    specs = {name: s.spec for name, s in declared.services.items()}
    evidence.source(declared.source)
    published = {name: declared_ports(spec) for name, spec in specs.items()}
    evidence.measure(internal_networks=sorted(declared_internal(declared.networks)),
                     data_service_networks={d: declared_networks(specs[d]) for d in t.data_services if d in specs},
                     published_ports={k: v for k, v in published.items() if v})
    evidence.limit(data_services=t.data_services, edge_services=t.edge_services,
                   data_networks="internal only", publishers="edge services only")
    found = evidence.judge(declared_findings(specs, declared.networks, t.data_services, t.edge_services))
    assert not found, found.message


def _connects_from_host(c, ports, gateway_addrs, timeout_s):
    """(connects, evidence) for one data container: real TCP connects from here to its ports."""
    on = container_networks(c.inspect)
    container_addrs = {a for addrs in on.values() for a in addrs} | set(gateway_addrs)
    # Overlay addresses have no route from the host: a connect there would test the default
    # gateway, not the container. The host's own addresses always count.
    unrouted = sorted(a for a in container_addrs if not directly_routed(a))
    addresses = sorted((container_addrs - set(unrouted)) | set(local_addresses()))
    if not ports:
        return [], {}
    results = connect_all(host_side_targets(addresses, ports, container_published(c.inspect)), timeout_s)
    return results, {"connects": [r.describe() for r in results], "not_routed_from_host": unrouted}


@pytest.mark.runtime
@pytest.mark.control("SEC-05")
def test_running_segregation(target_config, stack, declared, engine, evidence):
    t = target_config.model.target
    iso = target_config.model.security.isolation
    nets = {n.name: n for n in swarm_objects.networks(engine)}
    running = stack.running()
    services = swarm_objects.services(engine)
    evidence.source(f"GET /networks, /services, /containers (stack {engine.stack}) on {engine.url}")
    internal = {n: f.internal for n, f in nets.items()}

    # Internal networks stay internal once deployed.
    found = internal_network_findings(declared_internal(declared.networks), internal)
    evidence.measure(networks={n: {"internal": f.internal, "driver": f.driver} for n, f in nets.items()})

    # Only edge services publish; data services publish nothing (service endpoints and containers).
    publishing = {s.name: s.published for s in services if s.published}
    for c in running:
        bound = [f"{ip}:{port}->{cport}" for ip, port, cport in container_published(c.inspect)]
        if bound:
            publishing.setdefault(c.service or c.name, []).extend(bound)
    evidence.measure(published=publishing)
    found += publisher_findings({name: sorted(set(ports)) for name, ports in publishing.items()},
                                t.edge_services, t.data_services)

    # Data services: internal networks only, and nothing answers from the host.
    gateways = swarm_objects.gateway_addresses(engine)
    evidence.source(f"GET /networks/docker_gwbridge on {engine.url}; TCP connects from this host")
    probed = {}
    for d in t.data_services:
        containers = [c for c in running if c.service == d]
        found += no_container_findings(d, containers, engine.stack)
        for c in containers:
            ports = probe_ports(iso.data_ports.get(d, []), c.inspect)
            connects, probed[c.name] = _connects_from_host(c, ports, gateways.get(c.id, []), iso.connect_timeout_s)
            found += data_container_findings(f"data service {d}: container {c.name}", d,
                                             container_networks(c.inspect), internal, ports, connects)
    evidence.measure(tcp_connects_from_host=probed)
    evidence.limit(internal_networks="Internal true", data_service_networks="internal only",
                   publishers=t.edge_services, tcp_from_host="not connected")
    found = evidence.judge(found)
    assert not found, found.message
