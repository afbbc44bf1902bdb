"""Facts the performance controls share: one window of `docker stats` for PRF-04 and PRF-06."""

import pytest

from nestgate.rules.prf06_utilization import UsageWindow


@pytest.fixture(scope="session")
def usage_window(engine, target_config) -> UsageWindow:
    """`stats_samples` one-shot rounds over every running container of the stack, each round in
    parallel, `stats_interval_s` apart.

    An empty stack gives an empty window: the controls fail naming the services they miss.
    """
    perf = target_config.model.performance
    running = engine.running()
    return UsageWindow(running, engine.stats_rounds(running, perf.stats_samples, perf.stats_interval_s))
