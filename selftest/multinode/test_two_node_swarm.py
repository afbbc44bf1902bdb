"""Every node's facts, on a real two-node swarm (selftest.multinode.rig): the testbed stack with app on
both nodes, postgres on the manager, redis, nginx and monitor on the worker; the worker reached through
a real `ssh://` testinfra host. One rig for the module; the worker-only faults go in as one batch (they
touch different controls).

Faults on the worker only (MULTINODE below, never in the single-node registry ALL), and what the
single-node view said before node access (nestgate at HEAD 4eb633e on this rig, worker faults applied,
run once on 2026-12-02):
- root-process: SEC-04[app] PASSED, containers ["h4_app.2..."]: only the manager's replica was read;
  the worker's replica and its UID 0 process were not seen.
- memory-share: PRF-06[app] PASSED: h4_app.2 at 18.9 MiB of 256 MiB (7.4 %) was all it sampled; the
  worker's replica at 222 MiB (87 %) was not in the window. (PRF-04 summed 2 containers, 45 MiB, and
  failed only because redis, nginx and monitor, all on the worker, had "no running container".)
- error-lines: INF-07 PASSED: the logs of 2 containers (the manager's), 0 error lines.
"""

from __future__ import annotations

import json
import time

import pytest

from selftest.gaterun import run_gates

NODE_CONTROLS = "SEC-04,SEC-05,PRF-04,PRF-06"
SELECT = ["-m", "security or performance", f"--nestgate-controls={NODE_CONTROLS}"]
HOG_MIB = 200  # of app's 256 MiB limit: over PRF-06's 80 % with the app's own use, under the OOM line
CANARY = "ERROR nestgate-multinode-canary on the worker"


def worker_app(rig, stack):
    [c] = rig.worker_client().containers.list(filters={"label": f"com.docker.swarm.service.name={stack}_app"})
    return c


# The second node's faults: name -> what it does to the worker's app replica (exec, detached).
MULTINODE = {
    "root-process": dict(cmd=["sleep", "600"], user="0", detach=True),
    "memory-share": dict(cmd=["python3", "-c", f"import time; b = b'x' * ({HOG_MIB} << 20); time.sleep(600)"],
                         detach=True),
    # INF-07's limit is under 10 errors a minute: 12 lines at once.
    "error-lines": dict(cmd=["sh", "-c", f"i=0; while [ $i -lt 12 ]; do echo '{CANARY}' > /proc/1/fd/1; "
                                         "i=$((i + 1)); done"]),
}


def test_both_nodes_are_judged_through_their_hosts(rig, node_config, testbed):
    run = run_gates(SELECT, node_config(worker_access=True))
    run.assert_go("security")
    run.assert_go("performance")
    [app] = [o for o in run.by_control("SEC-04") if o.nodeid.endswith("test_running_hardening[SEC-04[app]]")]
    measured = json.loads(app.properties["nestgate.measured"])
    assert len(measured["containers"]) == 2, measured  # one replica on each node, both read
    assert any(f"via {rig.sshd.spec()}" in s for s in app.evidence["sources"]), app.evidence["sources"]
    [prf04] = run.by_control("PRF-04")
    per = json.loads(prf04.properties["nestgate.measured"])["per_container_mib"]
    assert len(per) == 6 and all(v > 0 for v in per.values()), per


def test_faults_on_the_worker_fail_their_controls(rig, node_config, testbed):
    app = worker_app(rig, testbed.instance)
    for name, how in MULTINODE.items():
        result = app.exec_run(**how)
        assert how.get("detach") or result.exit_code == 0, f"{name}: {result.output!r}"
    time.sleep(3)  # the hog fills its memory
    used = app.stats(stream=False)["memory_stats"]
    assert used["usage"] > 0.8 * used["limit"], f"the memory hog did not take hold: {used['usage']} of {used['limit']}"
    replica = app.name.rsplit(".", 1)[0]  # <stack>_app.<slot>: whichever slot the worker runs
    run = run_gates(["-m", "security or performance or infra",
                     f"--nestgate-controls={NODE_CONTROLS},INF-07"], node_config(worker_access=True))
    failed = {o.nodeid.split("::")[-1]: o.message.splitlines()[0] for o in run.outcomes.values()
              if o.outcome == "failed"}
    sec04 = failed.get("test_running_hardening[SEC-04[app]]", "")
    assert f"container {replica}." in sec04 and "runs as UID 0/0" in sec04, run.output[-3000:]
    prf06 = failed.get("test_utilization_under_limits[PRF-06[app]]", "")
    assert f"container {replica}." in prf06 and "of its 256 MiB memory limit" in prf06, run.output[-3000:]
    inf07 = [m for k, m in failed.items() if "INF-07" in k]
    assert inf07 and "errors within one minute" in inf07[0] and "nestgate-multinode-canary" in inf07[0], \
        f"INF-07 (service logs): {run.output[-2000:]}"
    assert set(failed) <= {"test_running_hardening[SEC-04[app]]", "test_utilization_under_limits[PRF-06[app]]",
                           *(k for k in failed if "INF-07" in k)}, failed


@pytest.mark.parametrize("control", ["SEC-04", "SEC-05", "PRF-04", "PRF-06"])
def test_without_access_to_the_worker_its_controls_fail_naming_it(rig, node_config, testbed, control):
    run = run_gates(["-m", "security or performance", f"--nestgate-controls={control}"],
                    node_config(worker_access=False))
    failed = [o for o in run.by_control(control) if o.outcome == "failed"]
    assert failed, run.output[-2000:]
    for o in failed:
        first = o.message.splitlines()[0]
        assert f"({rig.worker_id[:12]}): no access configured in [target.nodes]" in first, first
    assert all(f"({rig.manager_id[:12]})" not in o.message for o in failed)
