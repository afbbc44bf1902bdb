"""PRF-06 rules and the window PRF-04 shares: peak memory, CPU over the window against the
container's own CPU limit."""

import pytest

from nestgate.probes.engine_facts import ContainerFacts, StatsFacts, StatsRound
from nestgate.rules.prf06_utilization import MIB, ContainerUsage, UsageWindow, cpu_percent, utilization_findings

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


def _usage(name, mem_mib, limit_mib, cpu_mean, cores, limited=True):
    return ContainerUsage(container=name, service="monitor", memory_peak_bytes=int(mem_mib * MIB),
                          memory_limit_bytes=int(limit_mib * MIB), cpu_mean_percent=cpu_mean, cpu_peak_percent=cpu_mean,
                          cpu_limit_cores=cores, cpu_limited=limited)


def test_usage_under_both_limits_has_no_findings():
    assert utilization_findings("monitor", "s", [_usage("m.1", 100, 128, 17.0, 0.25)], 3.0, 80, 70) == []


def test_memory_and_cpu_at_or_over_their_limits_name_the_container():
    found = utilization_findings("monitor", "s", [_usage("m.1", 112, 128, 17.5, 0.25),
                                                  _usage("m.2", 10, 128, 150.0, 2.0, limited=False)], 3.0, 80, 70)
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("service monitor", "container m.1 memory %", 87.5, "under 80 %"),
        ("service monitor", "container m.1 CPU % of limit", 70.0, "under 70 %"),
        ("service monitor", "container m.2 CPU % of limit", 75.0, "under 70 %")]
    assert [f.sentence for f in found] == [
        "container m.1 uses 112 MiB of its 128 MiB memory limit (88 %, limit 80 %)",
        "container m.1 uses 70.0 % of its 0.25 CPU limit (17.5 % in docker stats, mean over 3 s), limit 70 %",
        "container m.2 uses 75.0 % of the host's 2 CPUs (150.0 % in docker stats, mean over 3 s), limit 70 %"]


def test_a_service_with_no_container_in_the_window_fails_naming_the_stack():
    [f] = utilization_findings("redis", "medianest", [], 3.0, 80, 70)
    assert (f.subject, f.property, f.measured, f.expected) == ("service redis", "running containers", 0, "at least 1")
    assert str(f) == "service redis: no running container in stack medianest"


def test_exactly_the_limit_is_not_under_it():
    [f] = utilization_findings("monitor", "s", [_usage("m.1", 80, 100, 0.0, 1.0)], 3.0, 80, 70)
    assert (f.property, f.measured) == ("container m.1 memory %", 80.0)
