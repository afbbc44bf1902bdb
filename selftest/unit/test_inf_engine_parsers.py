"""The infra gate's engine facts from raw API answers: services with status, tasks, log lines,
and a container's address on its overlay network."""

from nestgate.probes.data_clients import container_address
from nestgate.probes.engine import log_lines_from_raw, service_from_raw, task_from_raw
from nestgate.probes.engine_facts import ContainerFacts

RAW_TASK = {
    "ID": "t1", "Slot": 2, "NodeID": "n1", "DesiredState": "shutdown",
    "Status": {"Timestamp": "2025-11-26T12:00:00.123456789Z", "State": "failed", "Message": "started",
               "Err": "task: non-zero exit (1)", "ContainerStatus": {"ContainerID": "c1", "ExitCode": 1}},
}


def test_task_from_raw():
    t = task_from_raw(RAW_TASK)
    assert (t.slot, t.state, t.desired_state, t.error, t.container_id, t.exit_code) == (
        2, "failed", "shutdown", "task: non-zero exit (1)", "c1", 1)
    assert abs(t.timestamp - 1764158400.123) < 0.001
    assert task_from_raw({"ID": "x", "Status": {"Timestamp": "0001-01-01T00:00:00Z"}}).timestamp is None


def test_service_from_raw_with_status_and_previous_spec():
    raw = {
        "ID": "s1",
        "Spec": {"Name": "inf_app", "Mode": {"Replicated": {"Replicas": 2}},
                 "TaskTemplate": {"ContainerSpec": {"Image": "app:r2", "Env": ["A=1"],
                                                    "Healthcheck": {"Test": ["CMD", "true"]}}}},
        "PreviousSpec": {"TaskTemplate": {"ContainerSpec": {"Image": "app:r1"}}},
        "ServiceStatus": {"RunningTasks": 1, "DesiredTasks": 2},
    }
    s = service_from_raw(raw, "inf", [task_from_raw(RAW_TASK)])
    assert (s.name, s.mode, s.desired_tasks, s.running_tasks) == ("app", "replicated", 2, 1)
    assert (s.image, s.previous_image, s.has_healthcheck, s.env) == ("app:r2", "app:r1", True, ["A=1"])
    assert "A=1" not in repr(s)  # env values stay out of reprs and tracebacks
    bare = service_from_raw({"ID": "s2", "Spec": {"Name": "inf_db", "Mode": {"Global": {}},
                                                  "TaskTemplate": {"ContainerSpec": {
                                                      "Healthcheck": {"Test": ["NONE"]}}}}}, "inf", [])
    assert (bare.mode, bare.previous_image, bare.has_healthcheck) == ("global", "", False)


def test_log_lines_from_raw():
    c = ContainerFacts(id="c", name="inf_app.1.x", service="app", image="i", status="running", health="",
                       pid=1, started_at="", inspect={})
    raw = (b"2025-11-26T12:00:00.000000001Z ERROR one\n"
           b"2025-11-26T12:00:01.5Z two words\n")
    lines = log_lines_from_raw(raw, c)
    assert [(round(x.timestamp - 1764158400, 1), x.text) for x in lines] == [(0.0, "ERROR one"), (1.5, "two words")]
    assert lines[0].container == "inf_app.1.x" and lines[0].service == "app"


def test_container_address_skips_ingress_and_falls_back_to_loopback():
    inspect = {"NetworkSettings": {"Networks": {"ingress": {"IPAddress": "10.0.0.5"},
                                                "inf_data": {"IPAddress": "10.0.9.3"}}}}
    assert container_address(inspect) == ("inf_data", "10.0.9.3")
    assert container_address({"NetworkSettings": {"Networks": {"host": {"IPAddress": ""}}}}) == (
        "loopback", "127.0.0.1")
