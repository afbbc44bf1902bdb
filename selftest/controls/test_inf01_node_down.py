"""INF-01 with a real node that is not Ready. The swarm here is a throwaway one: two extra dockerds
(never the machine's shared swarm, whose services other tests run on), a manager and a worker.
INF-01 passes while both are Ready. Then the worker's daemon is stopped, the manager marks it
Down (about 12 s later on this machine), and INF-01 must fail naming that node."""

from __future__ import annotations

import json
import time

from selftest.conftest import derive_config
from selftest.dockerd import extra_dockerd, free_tcp_port
from selftest.gaterun import run_gates

SELECT = ["-m", "infra", "--nestgate-controls=INF-01"]
DOWN_WITHIN_S = 90


def test_fails_naming_a_node_that_is_not_ready(default_config, tmp_path):
    with extra_dockerd("nestgate-mgr-") as manager, extra_dockerd("nestgate-wkr-") as worker:
        mgr, wkr = manager.client(), worker.client()
        manager_addr, worker_addr = f"127.0.0.1:{free_tcp_port()}", f"127.0.0.1:{free_tcp_port()}"
        # Own control and data ports, so nothing collides with the shared swarm on this host.
        mgr.swarm.init(advertise_addr=manager_addr, listen_addr=manager_addr, data_path_port=free_tcp_port())
        token = mgr.swarm.attrs["JoinTokens"]["Worker"]
        wkr.swarm.join(remote_addrs=[manager_addr], join_token=token, listen_addr=worker_addr,
                       advertise_addr=worker_addr)
        worker_id = wkr.info()["Swarm"]["NodeID"]
        config = derive_config(default_config, tmp_path, target={"docker_host": manager.url})

        ready = run_gates(SELECT, config)
        [result] = ready.by_control("INF-01")
        assert result.outcome == "passed", ready.output[-2000:]
        states = json.loads(result.properties["nestgate.measured"])["node_states"]
        assert sorted(states.values()) == ["ready", "ready"] and any(worker_id[:12] in k for k in states)

        worker.stop()
        deadline = time.monotonic() + DOWN_WITHIN_S
        while mgr.nodes.get(worker_id).attrs["Status"]["State"] != "down":
            assert time.monotonic() < deadline, f"the manager did not mark the stopped worker down in {DOWN_WITHIN_S} s"
            time.sleep(1)

        down = run_gates(SELECT, config)
        [result] = down.by_control("INF-01")
        assert result.outcome == "failed", down.output[-2000:]
        first = result.message.splitlines()[0]
        assert first.startswith("INF-01: swarm node ")
        assert f"({worker_id[:12]}): state is 'down'" in first
        assert worker_id[:12] in first and manager_addr not in first
        assert down.returncode == 1 and "infra        NO-GO" in down.output
