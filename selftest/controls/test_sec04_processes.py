"""SEC-04's process list on the real engine: the container's cgroup gives the same processes as
`docker top` (the fast path is really taken on this host, and it misses nothing)."""

from nestgate.probes.engine import Engine
from nestgate.probes.processes import cgroup_pids, container_processes, top_pids


def test_cgroup_pids_match_docker_top(testbed):
    engine = Engine("unix:///var/run/docker.sock", 15, testbed.instance, "swarm")
    running = engine.running()
    assert running, f"stack {testbed.instance}: no running containers"
    for container in running:
        from_cgroup = cgroup_pids(container)
        assert from_cgroup is not None, f"{container.name}: cgroup.procs not readable on this host"
        assert container.pid in from_cgroup, f"{container.name}: init PID {container.pid} not in {from_cgroup}"
        # Healthcheck execs come and go between the two reads; the long-lived processes must agree.
        stable = set(from_cgroup) & set(top_pids(engine, container))
        assert container.pid in stable
        views = container_processes(engine, container)
        assert all(not v.name.startswith("runc:[") for v in views), f"{container.name}: {views}"
        assert {v.pid for v in views} >= {container.pid}
