"""PRF-04/PRF-06 read `docker stats` figures from each node's cgroup files through its testinfra host
(nestgate.probes.nodes_read.stats_round): on the real engine they agree with the daemon's own
one-shot stats, and one round over the stack is quicker than asking the daemon container by container."""

import time

import testinfra

from nestgate.probes.engine import Engine
from nestgate.probes.nodes_read import stats_round
from nestgate.rules.prf06_utilization import cpu_percent
from selftest.stats_reference import api_stats

MIB = 2**20


def _stack(testbed):
    engine = Engine("unix:///var/run/docker.sock", 15, testbed.instance, "swarm")
    running = [c for c in engine.running() if c.service in ("app", "postgres", "redis", "nginx", "monitor")]
    assert len(running) >= 5, [c.name for c in running]
    return engine, running, testinfra.get_host("local://")


def test_node_cgroup_stats_agree_with_the_api(testbed):
    engine, running, host = _stack(testbed)
    local = {s.container: s for s in stats_round(host, running, 15)}
    for c in running:
        api, mine = api_stats(engine, c), local[c.name]
        assert mine.source == "cgroup" and api.source == "api"
        assert mine.memory_limit_bytes == api.memory_limit_bytes, c.name
        # Memory moves between the two reads; a few MiB is the noise of a live service.
        assert abs(mine.memory_bytes - api.memory_bytes) < 8 * MIB, (c.name, mine.memory_bytes, api.memory_bytes)
        assert abs(mine.cpu_total_ns - api.cpu_total_ns) < 2e9, (c.name, mine.cpu_total_ns, api.cpu_total_ns)


def test_a_round_over_the_stack_is_one_command_and_gives_cpu(testbed):
    engine, running, host = _stack(testbed)
    started = time.monotonic()
    before = {s.container: s for s in stats_round(host, running, 15)}
    round_s = time.monotonic() - started
    time.sleep(1.0)
    after = stats_round(host, running, 15)
    # Against the engine's own figure, taken now under the same load (no stopwatch bound).
    started = time.monotonic()
    for c in running:
        api_stats(engine, c)
    api_in_turn_s = time.monotonic() - started
    assert round_s < api_in_turn_s, (round_s, api_in_turn_s)
    assert len(after) == len(running)
    for s in after:
        assert s.system_cpu_ns > before[s.container].system_cpu_ns
        assert 0.0 <= cpu_percent(before[s.container], s) <= 100.0 * s.online_cpus
