"""INF-01 — Docker Swarm initialized and operational (`docker swarm ls  # Should show active swarm`).

The engine is in an active swarm (LocalNodeState "active") and is a manager (ControlAvailable),
and every node of the swarm is Ready.
"""

import pytest

from nestgate.rules.inf01_swarm import node_findings, node_label, swarm_findings

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-01")
def test_swarm_initialized_and_operational(engine, evidence):
    swarm = engine.swarm()
    evidence.source(f"GET /info on {engine.url}")
    evidence.measure(local_node_state=swarm.local_node_state, node_id=swarm.node_id,
                     control_available=swarm.control_available, nodes=swarm.node_count,
                     managers=swarm.manager_count)
    evidence.limit(local_node_state="active", control_available=True, every_node="ready")
    found = evidence.judge(swarm_findings(engine.url, swarm))
    assert not found, found.message  # outside an active swarm, or on a worker, there is no node list

    nodes = engine.nodes()
    evidence.source(f"GET /nodes on {engine.url}")
    evidence.measure(node_states={node_label(n): n.state for n in nodes})
    found = evidence.judge(node_findings(nodes))
    assert not found, found.message
