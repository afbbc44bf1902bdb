"""SEC-04's process list on the real engine, read as on any node (nestgate.probes.nodes_read.processes
through the node's testinfra host): the container's cgroup gives the processes `docker top` gives,
nothing is left in runc's init stage, and no PID is judged that is not the container's."""

import testinfra

from nestgate.probes.engine import Engine
from nestgate.probes.nodes_read import _top_pids, processes


def test_cgroup_processes_match_docker_top(testbed):
    engine = Engine("unix:///var/run/docker.sock", 15, testbed.instance, "swarm")
    running = engine.running()
    assert running, f"stack {testbed.instance}: no running containers"
    views = processes(testinfra.get_host("local://"), running, 15)  # no engine: the cgroup path or failure
    for container in running:
        pids = {v.pid for v in views[container.id]}
        assert container.pid in pids, f"{container.name}: init PID {container.pid} not in {pids}"
        # Healthcheck execs come and go between the two reads; the long-lived processes must agree.
        assert container.pid in pids & {int(p) for p in _top_pids(engine, container)}
        assert all(not v.name.startswith("runc:[") for v in views[container.id]), views[container.id]
