"""PRF-04 rules: the stack's memory total at its peak round, every expected service in the window."""

from nestgate.probes.engine_facts import StatsRound
from nestgate.rules.prf04_memory_total import memory_total_findings
from nestgate.rules.prf06_utilization import UsageWindow
from selftest.unit.test_prf06_utilization import _container, _stat


def _window(app_mib, db_mib, mon_mib=10):
    containers = [_container("app.1", "app"), _container("db.1", "postgres"), _container("mon.1", "monitor")]
    rounds = [StatsRound(float(i), 0.01, [_stat("app.1", "app", a, 256, 1.0, 100.0),
                                          _stat("db.1", "postgres", d, 256, 1.0, 100.0),
                                          _stat("mon.1", "monitor", mon_mib, 128, 1.0, 100.0)])
              for i, (a, d) in enumerate(zip(app_mib, db_mib, strict=True))]
    return UsageWindow(containers, rounds)


def test_a_total_under_the_limit_in_every_round_has_no_findings():
    assert memory_total_findings("s", ["app", "postgres", "monitor"], _window([100, 150], [60, 80]), 2048) == []


def test_the_peak_round_decides_and_the_largest_containers_are_named():
    window = _window([100, 150, 90], [60, 40, 80])  # totals 170, 200, 180 MiB
    assert memory_total_findings("s", ["app"], window, 200.5) == []
    [f] = memory_total_findings("medianest", ["app", "postgres"], window, 200)
    assert (f.subject, f.property, f.measured, f.expected) == ("stack medianest", "memory total", "200 MiB",
                                                               "under 200 MiB")
    assert str(f) == ("stack medianest: uses 200 MiB of memory in total (peak of 3 docker stats rounds, "
                      "3 containers), limit 200 MiB; largest: app.1 (150 MiB), db.1 (80 MiB), mon.1 (10 MiB)")


def test_a_service_missing_from_the_window_fails_before_the_total_is_judged():
    [f] = memory_total_findings("medianest", ["app", "redis", "nginx"], _window([100], [60]), 1)
    assert (f.subject, f.property, f.measured, f.expected) == (
        "stack medianest", "services sampled", ["app", "monitor", "postgres"], ["app", "redis", "nginx"])
    assert str(f) == ("stack medianest: no running container for service(s) redis, nginx, "
                      "so the total would leave them out")
    empty = UsageWindow([], [StatsRound(0.0, 0.0, []), StatsRound(1.0, 0.0, [])])
    [none] = memory_total_findings("gone", ["app"], empty, 2048)
    assert none.sentence.startswith("no running container for service(s) app")
