"""Facts the performance controls share: one window of `docker stats` for PRF-04 and PRF-06."""

import pytest

from nestgate.probes.nodes_read import stats_window
from nestgate.rules.prf06_utilization import UsageWindow


@pytest.fixture(scope="session")
def usage_window(nodes, target_config) -> UsageWindow:
    """`stats_samples` rounds over every running container of the stack on every node, each round
    over all nodes at once (each node's cgroup files through its host), `stats_interval_s` apart.

    An empty stack gives an empty window: the controls fail naming the services they miss. A node
    that could not be read is in `unreached`: the controls fail naming it and its tasks.
    """
    perf = target_config.model.performance
    containers, rounds, unreached = stats_window(nodes, perf.stats_samples, perf.stats_interval_s)
    return UsageWindow(containers, rounds, unreached)
