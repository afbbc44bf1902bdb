"""PRF-04/06 arithmetic: peak memory, CPU over the window against the container's own CPU limit."""

import pytest

from nestgate.probes.engine_facts import ContainerFacts, StatsFacts, StatsRound
from nestgate.rules.prf06_utilization import MIB, UsageWindow, cpu_percent

SECOND = 1_000_000_000


def _container(name, service, nano=0):
    return ContainerFacts(id=name, name=name, service=service, image="i", status="running", health="",
                          pid=1, started_at="", inspect={"HostConfig": {"NanoCpus": nano}})


def _stat(name, service, mib, limit_mib, cpu_s, host_s):
    """Cumulative counters: container CPU seconds, host CPU seconds (2 CPUs: 2 per wall second)."""
    return StatsFacts(container=name, service=service, memory_bytes=int(mib * MIB),
                      memory_limit_bytes=int(limit_mib * MIB), cpu_percent=0.0, online_cpus=2,
                      cpu_total_ns=int(cpu_s * SECOND), system_cpu_ns=int(host_s * SECOND))


def test_cpu_percent_is_docker_stats_formula_over_the_interval():
    a, b = _stat("c", "s", 1, 2, 10.0, 1000.0), _stat("c", "s", 1, 2, 10.5, 1002.0)  # 0.5 s CPU in 1 s wall
    assert cpu_percent(a, b) == pytest.approx(50.0)
    assert cpu_percent(b, a) == 0.0  # counters went backwards: no figure, not a negative one


def test_peak_memory_mean_and_busiest_cpu_and_totals():
    containers = [_container("mon.1", "monitor", nano=250_000_000), _container("app.1", "app")]
    # monitor: 0.2 then 0.0 CPU-seconds per wall second; app: 0.4 then 0.8
    rounds = [StatsRound(0.0, 0.01, [_stat("mon.1", "monitor", 100, 128, 1.0, 100.0),
                                     _stat("app.1", "app", 50, 256, 1.0, 100.0)]),
              StatsRound(1.0, 0.01, [_stat("mon.1", "monitor", 112.64, 128, 1.2, 102.0),
                                     _stat("app.1", "app", 60, 256, 1.4, 102.0)]),
              StatsRound(2.0, 0.01, [_stat("mon.1", "monitor", 90, 128, 1.2, 104.0),
                                     _stat("app.1", "app", 55, 256, 2.2, 104.0)])]
    window = UsageWindow(containers, rounds)
    app, mon = window.per_container()
    assert mon.memory_peak_bytes == int(112.64 * MIB) and round(mon.memory_percent) == 88
    assert mon.cpu_mean_percent == pytest.approx(10.0) and mon.cpu_peak_percent == pytest.approx(20.0)
    assert mon.cpu_limited and mon.cpu_percent_of_limit == pytest.approx(40.0)
    assert app.cpu_mean_percent == pytest.approx(60.0) and not app.cpu_limited and app.cpu_limit_cores == 2.0
    assert app.cpu_percent_of_limit == pytest.approx(30.0)
    assert window.totals()[1] == int(112.64 * MIB) + int(60 * MIB)
    assert window.window_s() == 2.0
    assert mon.record()["memory_percent"] == 88.0


def test_empty_stack_gives_empty_usage():
    window = UsageWindow([], [StatsRound(0.0, 0.0, []), StatsRound(1.0, 0.0, [])])
    assert window.per_container() == [] and window.totals() == [0, 0]
