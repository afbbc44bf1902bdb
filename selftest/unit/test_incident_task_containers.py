"""`nestgate incident collect` on a swarm: a task's container has its logs read per task through the
manager; a container of the stack that no task runs keeps its own log file."""

from nestgate.watch.incident import _is_task


def test_a_task_container_is_read_through_its_task_and_any_other_on_its_own():
    task = {"Config": {"Labels": {"com.docker.swarm.task.id": "k147m8njxjxh", "com.docker.stack.namespace": "s"}}}
    assert _is_task(task)
    assert not _is_task({"Config": {"Labels": {"com.docker.stack.namespace": "s"}}})
    assert not _is_task({"Config": {"Labels": None}}) and not _is_task({})
