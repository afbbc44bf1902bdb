"""INF-01 rules: the engine is in an active swarm, it is a manager, and every node is Ready.

Pure functions over the engine's swarm facts (GET /info) and node list (GET /nodes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.engine_facts import NodeFacts, SwarmFacts


def node_label(node: NodeFacts) -> str:
    """A node by hostname and short ID: nodes may share a hostname."""
    return f"{node.hostname or node.id} ({node.id[:12]})"


def swarm_findings(engine_url: str, swarm: SwarmFacts) -> list[Finding]:
    """Not in an active swarm, or not a manager: the node list cannot be judged (or read) then."""
    if swarm.local_node_state != "active":
        error = f" ({swarm.error})" if swarm.error else ""
        return [Finding(f"engine {engine_url}", "LocalNodeState", swarm.local_node_state, "active",
                        says=f"not in an active swarm: LocalNodeState is {swarm.local_node_state!r}{error}, "
                             "expected 'active'")]
    if not swarm.control_available:
        return [Finding(f"node {swarm.node_id}", "ControlAvailable", False, True,
                        says="not a swarm manager (ControlAvailable false): "
                             "stacks cannot be deployed or inspected from it")]
    return []


def node_findings(nodes: Iterable[NodeFacts]) -> list[Finding]:
    """Every node of the swarm that is not Ready."""
    return [Finding(f"swarm node {node_label(n)}", "state", n.state, "ready",
                    says=f"state is {n.state!r}, expected 'ready'")
            for n in nodes if n.state != "ready"]
