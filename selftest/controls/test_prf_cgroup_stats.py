"""PRF-04/PRF-06 read `docker stats` figures from the host's cgroup files: on the real engine they
agree with the API's own one-shot stats, and the fast path is really taken on this host."""

import time

from nestgate.probes import cgroup_stats
from nestgate.probes.engine import Engine
from nestgate.rules.prf06_utilization import cpu_percent

MIB = 2**20


def test_cgroup_stats_agree_with_the_api(testbed):
    engine = Engine("unix:///var/run/docker.sock", 15, testbed.instance, "swarm")
    running = [c for c in engine.running() if c.service in ("app", "postgres", "redis", "nginx", "monitor")]
    assert len(running) >= 5, [c.name for c in running]
    host_mem = cgroup_stats.host_memory_bytes()
    for c in running:
        api = engine._stats_one_shot(c)
        local = cgroup_stats.read_stats(c, cgroup_stats.host_cpu_ns(), 2, host_mem)
        assert local is not None, f"{c.name}: cgroup files not readable on the engine's host"
        assert local.source == "cgroup" and api.source == "api"
        assert local.memory_limit_bytes == api.memory_limit_bytes, c.name
        # Memory moves between the two reads; a few MiB is the noise of a live service.
        assert abs(local.memory_bytes - api.memory_bytes) < 8 * MIB, (c.name, local.memory_bytes, api.memory_bytes)
        assert abs(local.cpu_total_ns - api.cpu_total_ns) < 2e9, (c.name, local.cpu_total_ns, api.cpu_total_ns)


def test_a_round_over_the_stack_uses_no_api_call_and_gives_cpu(testbed):
    engine = Engine("unix:///var/run/docker.sock", 15, testbed.instance, "swarm")
    running = engine.running()
    rounds = engine.stats_rounds(running, 2, 1.0)
    assert {s.source for r in rounds for s in r.stats} == {"cgroup"}
    # Against the engine's own figure, taken now under the same load: a round over the whole stack
    # from the cgroup files is quicker than asking the API for each container in turn.
    started = time.monotonic()
    for c in running:
        engine._stats_one_shot(c)
    api_in_turn_s = time.monotonic() - started
    assert min(r.duration_s for r in rounds) < api_in_turn_s, ([r.duration_s for r in rounds], api_in_turn_s)
    assert len(rounds[0].stats) == len(running)
    before = {s.container: s for s in rounds[0].stats}
    for after in rounds[1].stats:
        assert after.system_cpu_ns > before[after.container].system_cpu_ns
        assert 0.0 <= cpu_percent(before[after.container], after) <= 100.0 * after.online_cpus
