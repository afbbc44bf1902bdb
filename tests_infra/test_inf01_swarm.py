"""INF-01 — Docker Swarm initialized and operational (`docker swarm ls  # Should show active swarm`)."""

import pytest

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-01")
def test_swarm_initialized_and_operational(engine, evidence):
    swarm = engine.swarm()
    evidence.source(f"GET /info on {engine.url}")
    evidence.measure(local_node_state=swarm.local_node_state, node_id=swarm.node_id,
                     control_available=swarm.control_available, nodes=swarm.node_count,
                     managers=swarm.manager_count)
    evidence.limit(local_node_state="active", control_available=True, every_node="ready")
    assert swarm.local_node_state == "active", (
        f"engine {engine.url} is not in an active swarm: LocalNodeState is {swarm.local_node_state!r}"
        f"{' (' + swarm.error + ')' if swarm.error else ''}, expected 'active'")
    assert swarm.control_available, (
        f"node {swarm.node_id} is not a swarm manager (ControlAvailable false): "
        "stacks cannot be deployed or inspected from it")

    nodes = engine.nodes()
    evidence.source(f"GET /nodes on {engine.url}")
    # Keyed by hostname and ID: nodes may share a hostname.
    evidence.measure(node_states={f"{n.hostname or n.id} ({n.id[:12]})": n.state for n in nodes})
    not_ready = [f"{n.hostname or n.id} ({n.id[:12]}) is {n.state!r}" for n in nodes if n.state != "ready"]
    assert not not_ready, f"swarm nodes not Ready: {'; '.join(not_ready)}"
