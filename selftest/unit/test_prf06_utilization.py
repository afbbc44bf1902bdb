"""PRF-04/06 arithmetic: peak memory, mean CPU against the container's own CPU limit."""

from nestgate.probes.engine_facts import ContainerFacts, StatsFacts, StatsRound
from nestgate.utilization import MIB, UsageWindow


def _container(name, service, nano=0):
    return ContainerFacts(id=name, name=name, service=service, image="i", status="running", health="",
                          pid=1, started_at="", inspect={"HostConfig": {"NanoCpus": nano}})


def _stat(name, service, mib, limit_mib, cpu):
    return StatsFacts(container=name, service=service, memory_bytes=int(mib * MIB),
                      memory_limit_bytes=int(limit_mib * MIB), cpu_percent=cpu, online_cpus=2)


def test_peak_memory_mean_cpu_and_totals():
    containers = [_container("mon.1", "monitor", nano=250_000_000), _container("app.1", "app")]
    rounds = [StatsRound(1.1, [_stat("mon.1", "monitor", 100, 128, 20.0), _stat("app.1", "app", 50, 256, 40.0)]),
              StatsRound(1.2, [_stat("mon.1", "monitor", 112.64, 128, 10.0), _stat("app.1", "app", 60, 256, 80.0)])]
    window = UsageWindow(containers, rounds)
    mon, app = sorted(window.per_container(), key=lambda u: u.service, reverse=True)
    assert mon.memory_peak_bytes == int(112.64 * MIB) and round(mon.memory_percent) == 88
    assert mon.cpu_mean_percent == 15.0 and mon.cpu_limited and mon.cpu_percent_of_limit == 60.0
    assert not app.cpu_limited and app.cpu_limit_cores == 2.0 and app.cpu_percent_of_limit == 30.0
    assert window.totals() == [int(100 * MIB) + int(50 * MIB), int(112.64 * MIB) + int(60 * MIB)]
    assert window.round_seconds() == [1.1, 1.2]
    assert mon.record()["memory_percent"] == 88.0


def test_empty_stack_gives_empty_usage():
    window = UsageWindow([], [StatsRound(0.0, [])])
    assert window.per_container() == [] and window.totals() == [0]
