"""SEC-05 — Network isolation confirmed (internal/external segregation).

Networks declared internal are internal at runtime; data services (postgres, redis by default)
attach only to internal networks and publish no ports; only the edge service(s) publish ports;
a TCP connect from the host to each data service's ports is refused: from every node that runs a
replica of it, through the node's testinfra host (a node that cannot be reached fails, named).
"""

import pytest

from nestgate.probes import swarm_objects
from nestgate.probes.nodes_read import data_connects
from nestgate.rules.findings import node_gap_findings
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


@pytest.mark.runtime
@pytest.mark.control("SEC-05")
def test_running_segregation(target_config, stack, declared, engine, nodes, evidence):
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

    # Data services: internal networks only, and nothing answers from the host they run on.
    gateways = swarm_objects.gateway_addresses(engine)

    def ports_of(c):
        return probe_ports(iso.data_ports.get(c.service, []), c.inspect)

    def targets_of(c, addresses):
        return host_side_targets(addresses, ports, container_published(c.inspect)) if (ports := ports_of(c)) else []

    def addresses_of(c):
        return {a for addrs in container_networks(c.inspect).values() for a in addrs}

    reached, gaps = data_connects(nodes, set(t.data_services), gateways, targets_of, addresses_of,
                                  iso.connect_timeout_s)
    evidence.source(f"GET /networks/docker_gwbridge on {engine.url}; TCP connects from each node that runs a "
                    "data service, through its testinfra host")
    evidence.source(nodes.source())
    found += node_gap_findings(gaps, t.data_services)
    unread = {task.rpartition(".")[0] for g in gaps for task in g.tasks}
    probed = {}
    for d in t.data_services:
        seen = [r for r in reached if r.container.service == d]
        if d not in unread:
            found += no_container_findings(d, seen, engine.stack)
        for r in seen:
            c = r.container
            probed[c.name] = {"node": r.node, "connects": [x.describe() for x in r.results],
                              "not_routed_from_host": r.not_routed}
            found += data_container_findings(f"data service {d}: container {c.name}", d,
                                             container_networks(c.inspect), internal, ports_of(c), r.results)
    evidence.measure(tcp_connects_from_host=probed)
    evidence.limit(internal_networks="Internal true", data_service_networks="internal only",
                   publishers=t.edge_services, tcp_from_host="not connected")
    found = evidence.judge(found)
    assert not found, found.message
