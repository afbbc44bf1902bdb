"""INF-06 rules (declared replicas, swarm tasks, Compose containers) and INF-08 rollback targets
and record file."""

import json

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.engine_facts import ContainerFacts, ServiceState, TaskFacts
from nestgate.probes.rollback_record import read_record
from nestgate.rules.inf06_services import (
    compose_findings,
    declared_findings,
    describe,
    failures_since,
    no_container,
    not_deployed,
    not_running,
    restart_counts,
    running,
    swarm_findings,
    task_health,
)
from nestgate.rules.inf08_rollback import built_not_deployed, nothing_built, previous_from, rollback_findings


def task(state, desired="shutdown", t=1000.0, err="", exit_code=None, slot=1):
    return TaskFacts(id="abcdef1234567890", slot=slot, node_id="n", desired_state=desired, state=state,
                     message=state, error=err, timestamp=t, container_id="c", exit_code=exit_code)


def test_failures_are_self_ended_tasks_in_the_window_not_orchestrator_shutdowns():
    tasks = [task("running", "running"), task("shutdown"), task("failed", err="task: non-zero exit (1)"),
             task("complete"), task("rejected", t=10.0), task("failed", t=None)]
    assert [t.state for t in failures_since(tasks, since=500)] == ["failed", "complete"]
    assert [t.state for t in running(tasks)] == ["running"]
    assert not_running([task("pending", "running")])[0].state == "pending"


def test_describe_names_task_slot_state_and_reason():
    text = describe(task("failed", t=0.0, err="task: non-zero exit (137)", exit_code=137, slot=2))
    assert text == "task abcdef123456 slot 2 on n failed at 00:00:00Z, exit 137: task: non-zero exit (137)"
    assert describe(task("failed", t=0.0, slot=None), {"n": "node-2"}).startswith("task abcdef123456 on node-2 failed")
    pending = TaskFacts(id="abcdef1234567890", slot=1, node_id="", desired_state="running", state="pending",
                        message="pending", error="", timestamp=0.0, container_id="", exit_code=None)
    assert describe(pending) == "task abcdef123456 slot 1 pending at 00:00:00Z: pending"  # no node yet


def test_declared_replicas():
    assert declared_findings("app", "replicated", 2) == [] and declared_findings("app", "global", None) == []
    [f] = declared_findings("app", "replicated", 0)
    assert (f.subject, f.property, f.measured, f.expected) == ("service app", "replicas", 0, "at least 1")
    assert str(f) == "service app: declares 0 replicas (mode replicated): it would never run"
    assert declared_findings("app", "replicated", "2")[0].measured == "2"


def test_not_deployed_lists_what_is():
    f = not_deployed("redis", "inf-nostack", [])
    assert (f.subject, f.property, f.measured, f.expected) == ("service redis", "deployed", False, True)
    assert str(f) == "service redis: not deployed in stack inf-nostack (deployed: none)"
    assert not_deployed("app", "s", {"nginx": 1, "db": 2}).sentence == "not deployed in stack s (deployed: db, nginx)"


def service(desired=2, running_=2, tasks=(), healthcheck=True):
    return ServiceState(id="s1", name="nginx", mode="replicated", desired_tasks=desired, running_tasks=running_,
                        image="nginx:1", previous_image="", has_healthcheck=healthcheck, tasks=list(tasks))


def test_swarm_findings_replicas_health_and_failures():
    assert swarm_findings("nginx", service(), {"t1": "healthy"}, [], 60) == []
    pending = task("pending", "running", t=0.0, err="no suitable node")
    found = swarm_findings("nginx", service(running_=1, tasks=[pending]), {"t1": "unhealthy", "t2": "healthy"},
                           [task("failed", t=0.0, err="task: non-zero exit (1)", exit_code=1)], 60, {"n": "wk2"})
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("service nginx", "replicas running", 1, "2 (desired)"),
        ("service nginx", "task health", {"t1": "unhealthy"}, "healthy"),
        ("service nginx", "task failures", 1, "none in the last 60 min")]
    assert [f.sentence for f in found] == [
        "1/2 replicas running (replicated); not running: task abcdef123456 slot 1 on wk2 pending at 00:00:00Z: "
        "no suitable node",
        "tasks not healthy: task t1 is 'unhealthy'",
        "1 task failure(s)/restart(s) in the last 60 min: task abcdef123456 slot 1 on wk2 failed at 00:00:00Z, "
        "exit 1: task: non-zero exit (1)"]
    assert swarm_findings("nginx", service(desired=0, running_=0), {}, [], 60)[0].sentence == (
        "0/0 replicas running (replicated)")
    assert swarm_findings("nginx", service(healthcheck=False), {"t1": "none"}, [], 60) == []
    many = [task("failed", t=float(i)) for i in range(7)]
    assert swarm_findings("nginx", service(), {}, many, 5)[0].sentence.count("task abcdef123456") == 5


def container(name, status="running", health="healthy", restarts=0, cid="c"):
    return ContainerFacts(id=cid, name=name, service="x", image="i", status=status, health=health, pid=1,
                          started_at="", inspect={"RestartCount": restarts})


def test_task_health_by_swarm_task_state_on_every_node():
    """No container is needed: a task on another node is judged by its swarm state, named with its node."""
    elsewhere = TaskFacts(id="0123456789abcdef", slot=2, node_id="wkr0000000000000", desired_state="running",
                          state="starting", message="", error="", timestamp=1.0, container_id="", exit_code=None)
    tasks = [task("running", "running"), elsewhere, task("pending", "running"), task("shutdown")]
    assert task_health(tasks, True, {"n": "mgr"}) == {"abcdef123456 on mgr": "healthy",
                                                      "0123456789ab on wkr000000000": "starting"}
    assert task_health(tasks[:1], False, {}) == {"abcdef123456 on n": "none"}
    [sick] = swarm_findings("nginx", service(), task_health(tasks, True, {}), [], 60)
    assert sick.sentence == "tasks not healthy: task 0123456789ab on wkr000000000 is 'starting'"


def test_compose_findings_status_health_restarts():
    assert compose_findings("app", [container("p-app-1")]) == []
    assert compose_findings("app", [container("p-app-1", health="")]) == []
    crashy = [container("p-crashy-1", status="restarting", health="", restarts=3),
              container("p-crashy-2", health="unhealthy")]
    assert restart_counts(crashy) == {"p-crashy-1": 3, "p-crashy-2": 0}
    found = compose_findings("crashy", crashy)
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        ("service crashy", "p-crashy-1 status", "restarting", "running"),
        ("service crashy", "p-crashy-2 health", "unhealthy", "healthy"),
        ("service crashy", "p-crashy-1 restarts", 3, 0)]
    assert [f.sentence for f in found] == ["p-crashy-1 is restarting", "p-crashy-2 is unhealthy",
                                           "p-crashy-1 restarted 3 time(s)"]
    assert str(no_container("app", "proj")) == "service app: no container in project proj"


def test_rollback_findings():
    assert rollback_findings("app", "app:r2", "app:r1", "swarm PreviousSpec", True) == []
    [f] = rollback_findings("app", "app:r2", "", "no PreviousSpec", None)
    assert (f.subject, f.property, f.measured) == ("app", "previous image", "")
    assert str(f) == "app: no previous image recorded to roll back to (no PreviousSpec); current image app:r2"
    [f] = rollback_findings("app", "app:r2", "app:r2", "swarm PreviousSpec", None)
    assert (f.measured, f.expected) == ("app:r2", "different from the current image app:r2")
    assert f.sentence == ("the previous spec (swarm PreviousSpec) runs the current image app:r2: "
                          "nothing older to roll back to")
    [f] = rollback_findings("app", "app:r2", "app:r1", "swarm PreviousSpec", False)
    assert (f.property, f.measured, f.expected) == ("previous image present", False, True)
    assert str(f) == "app: previous image app:r1 (swarm PreviousSpec) is not present on the engine"


def test_previous_image_from_engine_else_record():
    record = {"app": "app:r1"}
    assert previous_from("app", "app:r0", "swarm PreviousSpec", record, "r.json") == ("app:r0", "swarm PreviousSpec")
    assert previous_from("app", "", "no PreviousSpec", record, "r.json") == ("app:r1", "record r.json")
    assert previous_from("monitor", "", "no PreviousSpec", record, "r.json") == (
        "", "no PreviousSpec, no entry in r.json")
    assert previous_from("monitor", "", "Compose keeps no previous image", {}, "") == (
        "", "Compose keeps no previous image")


def test_built_services_not_deployed_or_none_built():
    assert str(built_not_deployed("app", "inf-nostack")) == "app: built service is not deployed in stack inf-nostack"
    f = nothing_built("a.yml, b.yml")
    assert (f.subject, f.property, f.measured) == ("compose file(s) a.yml, b.yml", "services with build", [])
    assert str(f) == "compose file(s) a.yml, b.yml: declare no service with build: nothing to roll back"


def test_read_record(tmp_path):
    path = tmp_path / "rollback.json"
    path.write_text(json.dumps({"services": {"app": {"previous_image": "medianest/app:1.4.2"}}}))
    assert read_record(path) == {"app": "medianest/app:1.4.2"}
    path.write_text("{not json")
    with pytest.raises(EvidenceUnavailable, match="not valid JSON"):
        read_record(path)
    path.write_text(json.dumps({"services": {"app": {"previous_image": 3}}}))
    with pytest.raises(EvidenceUnavailable, match=r"services\.app\.previous_image is not a string"):
        read_record(path)
    with pytest.raises(EvidenceUnavailable, match="cannot be read"):
        read_record(tmp_path / "absent.json")
