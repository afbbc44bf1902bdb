"""Watch and incident see every node, on the real two-node swarm (selftest.multinode.rig): redis runs on
the worker only, postgres on the manager only, app on both; the worker is reached through a real
`ssh://` testinfra host. Memory, replica health (service.up) and incident logs and inspect.

Before this change (read from the code at HEAD, not run): the sampler's memory figures came from the
containers the manager's own engine lists (this machine's cgroup files, else the manager's stats API),
so redis here was FAILED "no running container for service redis" and the worker's app replica was
never sampled; diagnostics read `containers_now()` and `logs(container)` on the manager, so a capture
for redis held no log line and the error "no container of service redis (running or stopped)".
"""

from __future__ import annotations

import secrets
import time

from nestgate.config import load_config
from nestgate.probes.diagnostics import diagnostics
from nestgate.probes.engine import Engine
from nestgate.watch.incident import collect
from nestgate.watch.sampler import FAILED, SamplerState, sample

REDIS_LIMIT = 96 << 20  # the testbed's redis memory limit


def memory(cfg_path, signal: str = "memory.percent") -> dict[str, tuple[float, dict]]:
    cfg = load_config(cfg_path)
    state = SamplerState()
    out = {s.subject: (s.value, s.detail) for s in sample(cfg, state, time.time()) if s.signal == signal}
    again = {s.subject: (s.value, s.detail) for s in sample(cfg, state, time.time())
             if s.signal == signal}  # a second sample: a fresh placement over the kept hosts
    assert {k: v[0] == FAILED for k, v in again.items()} == {k: v[0] == FAILED for k, v in out.items()}, (out, again)
    return out


def test_watch_service_up_reads_replica_health_on_the_node_that_runs_it(rig, node_config):
    """Health comes from the node that runs each replica; without access to the worker its replicas'
    health is unknown, named in the detail, and not counted unhealthy (that would fire a restart)."""
    with_access = memory(node_config(worker_access=True), "service.up")
    assert {k: v for k, (v, _) in with_access.items()} == dict.fromkeys(with_access, 1.0), with_access
    assert not [k for k, (_, d) in with_access.items() if "health_not_read_on" in d], with_access
    without = memory(node_config(worker_access=False), "service.up")
    for service in ("redis", "nginx", "monitor", "app"):  # each has a task on the worker
        value, detail = without[service]
        [node] = detail["health_not_read_on"]
        assert value == 1.0 and node.endswith(f"({rig.worker_id[:12]})"), without[service]
    assert "health_not_read_on" not in without["postgres"][1], without["postgres"]  # the manager's only


def worker_container(rig, stack: str, service: str):
    [c] = rig.worker_client().containers.list(filters={"label": f"com.docker.swarm.service.name={stack}_{service}"})
    return c


def test_watch_memory_reads_the_worker_through_its_host(rig, node_config, testbed):
    got = memory(node_config(worker_access=True))
    value, detail = got["redis"]
    assert value > 0 and f"({rig.worker_id[:12]})" in detail["node"], got["redis"]
    assert detail["limit_bytes"] == REDIS_LIMIT, detail
    # the same container as the worker's own engine reports it, the daemon's arithmetic
    raw = worker_container(rig, testbed.instance, "redis").stats(stream=False)["memory_stats"]
    api = raw["usage"] - raw["stats"].get("inactive_file", raw["stats"].get("total_inactive_file", 0))
    assert abs(detail["memory_bytes"] - api) < max(4 << 20, api // 5), (detail, api)
    assert got["app"][1]["containers"] == 2, got["app"]  # one replica on each node, both read
    assert f"({rig.manager_id[:12]})" in got["postgres"][1]["node"], got["postgres"]
    assert all(v > 0 for v, _ in got.values()), got


def test_watch_memory_without_worker_access_fails_naming_the_worker(rig, node_config, testbed):
    got = memory(node_config(worker_access=False))
    for service in ("redis", "nginx", "monitor", "app"):  # each has a task on the worker
        value, detail = got[service]
        assert value == FAILED, (service, got[service])
        assert f"({rig.worker_id[:12]}): no access configured in [target.nodes]" in detail["error"], detail
        assert f"({rig.manager_id[:12]})" not in detail["error"], detail
    value, detail = got["postgres"]  # the manager's only: still measured
    assert value > 0 and f"({rig.manager_id[:12]})" in detail["node"], got["postgres"]


def test_incident_evidence_holds_the_workers_log_lines(rig, node_config, testbed, tmp_path):
    canary = f"nestgate-watch-two-node-{secrets.token_hex(6)}"
    since = time.time() - 5
    redis = worker_container(rig, testbed.instance, "redis")
    seeded = redis.exec_run(["sh", "-c", f"echo '{canary}' > /proc/1/fd/1"])
    assert seeded.exit_code == 0, seeded.output
    cfg = load_config(node_config(worker_access=True))
    engine = Engine.for_target(cfg.model.target)
    worker_task = redis.labels["com.docker.swarm.task.id"]

    deadline = time.monotonic() + 30
    while True:  # the worker's log reaches the manager's log reader at once, or within seconds
        diag = diagnostics(engine, "redis", since)
        lines = [line for line in diag.logs if canary in line.text]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert diag.errors == [], diag.errors
    assert [(line.task, line.container) for line in lines] == [(worker_task, redis.name)], diag.logs[-5:]
    assert [t["NodeID"] for t in diag.tasks if t["ID"] == worker_task] == [rig.worker_id], diag.tasks
    assert diag.containers == []  # none on the manager: the task inspect above is the evidence

    c = collect(cfg, since, tmp_path / "bundle", tmp_path / "no-reports", time.time())
    assert not [p for p in c.not_collected if "task" in p or "logs" in p], c.not_collected
    log = tmp_path / "bundle" / "logs" / "redis" / f"{redis.name}@{rig.worker_client().info()['Name']}-" \
                                                    f"{rig.worker_id[:12]}.log"
    assert canary in log.read_text(), sorted(p.name for p in (tmp_path / "bundle" / "logs" / "redis").iterdir())
    assert (tmp_path / "bundle" / "inspect" / "tasks" / f"{redis.name}.json").is_file()
