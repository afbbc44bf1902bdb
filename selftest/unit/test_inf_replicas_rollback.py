"""INF-06 task-history rules and INF-08 rollback targets and record file."""

import json

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.engine_facts import TaskFacts
from nestgate.probes.rollback_record import read_record
from nestgate.rules.inf06_services import describe, failures_since, not_running, running
from nestgate.rules.inf08_rollback import problem


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
    assert text == "task abcdef123456 slot 2 failed at 00:00:00Z, exit 137: task: non-zero exit (137)"


def test_rollback_problem_messages():
    assert problem("app", "app:r2", "app:r1", "swarm PreviousSpec", True) is None
    assert "no previous image recorded" in problem("app", "app:r2", "", "no PreviousSpec", None)
    assert "runs the current image app:r2" in problem("app", "app:r2", "app:r2", "swarm PreviousSpec", None)
    assert problem("app", "app:r2", "app:r1", "swarm PreviousSpec", False) == (
        "app: previous image app:r1 (swarm PreviousSpec) is not present on the engine")


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
