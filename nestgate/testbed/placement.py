"""Spread the reference stack over two swarm nodes: a compose override for `docker stack deploy -c
<stack file> -c <override>`, leaving the default single-node stack untouched.

`spread` runs every service with one replica on each node (max one per node, so the scheduler cannot
stack both on one); `on` pins a service to one node. What a node runs is then known, so a self-test
can seed a fault on the second node only and judge that every node's replicas are seen.
"""

from __future__ import annotations

from typing import Any

import yaml


def override(spread: list[str], on: dict[str, str]) -> dict[str, Any]:
    """services.<name>.deploy for each spread service (2 replicas, max 1 per node) and each pinned
    one (a node.id constraint)."""
    services: dict[str, Any] = {}
    for name in spread:
        services[name] = {"deploy": {"replicas": 2, "placement": {"max_replicas_per_node": 1}}}
    for name, node_id in on.items():
        services[name] = {"deploy": {"placement": {"constraints": [f"node.id == {node_id}"]}}}
    return {"services": services}


def render(spread: list[str], on: dict[str, str]) -> str:
    return "# Placement over two swarm nodes (nestgate.testbed.placement).\n" + yaml.safe_dump(
        override(spread, on), sort_keys=True)
