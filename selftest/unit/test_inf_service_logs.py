"""Service logs (`docker service logs` through the manager): each line keeps its task and node, and
INF-07 names them. The raw text is what the engine sent for a two-node swarm (details on)."""

from nestgate.probes.engine_facts import TaskFacts
from nestgate.probes.readers.service_logs import details, service_log_lines, task_name
from nestgate.rules.inf07_errors import busiest_sources, errors_by_node, matching, peak, rate_findings

T1, T2 = "oh4nyyr26vlciddthj88dwmgs", "qd3xcpcb5rse2558of5defbvb"
N1, N2 = "lwqat43o17z9penkx8tkm7i4o", "k2w0ud5q1b0bl4fv7yq3n2x6a"
SVC = "xjc3jvekrrcy4o21xmvk4619h"
RAW = (
    f"2026-12-02T09:41:08.071021279Z com.docker.swarm.node.id={N1},com.docker.swarm.service.id={SVC},"
    f"com.docker.swarm.task.id={T1} app starting port=4000\n"
    f"2026-12-02T09:41:09.5Z com.docker.swarm.node.id={N2},com.docker.swarm.service.id={SVC},"
    f"com.docker.swarm.task.id={T2} ERROR plex-sync unreachable\n"
    "  at stack frame without a stamp\n"
    f"2026-12-02T09:41:10Z com.docker.swarm.node.id={N2},com.docker.swarm.service.id={SVC},"
    f"com.docker.swarm.task.id={T2},tag=a%2Cb+c ERROR plex-sync again\n"
).encode()


def task(task_id, slot, node):
    return TaskFacts(id=task_id, slot=slot, node_id=node, desired_state="running", state="running", message="",
                     error="", timestamp=0.0, container_id="", exit_code=None)


def test_each_line_keeps_its_task_and_node():
    tasks = {T1: task(T1, 1, N1), T2: task(T2, 2, N2)}
    lines = service_log_lines(RAW, "app", "ms_app", tasks, {N1: "manager-1"})
    assert [(ln.container, ln.node, ln.task, ln.text) for ln in lines] == [
        (f"ms_app.1.{T1}", "manager-1", T1, "app starting port=4000"),
        (f"ms_app.2.{T2}", N2, T2, "ERROR plex-sync unreachable"),  # a node the manager does not list: its ID
        (f"ms_app.2.{T2}", N2, T2, "  at stack frame without a stamp"),  # continues the line before
        (f"ms_app.2.{T2}", N2, T2, "ERROR plex-sync again")]
    assert lines[1].timestamp == lines[2].timestamp and lines[0].service == "app"


def test_details_are_query_unescaped_and_task_names_follow_swarm():
    assert details("a=1,tag=a%2Cb+c,junk") == {"a": "1", "tag": "a,b c"}
    assert task_name("ms_web", task(T1, None, N1), T1) == f"ms_web.{N1}.{T1}"  # global: the node ID
    assert task_name("ms_web", None, T1) == f"ms_web.{T1}"


def test_inf07_names_the_task_and_node_of_the_errors():
    lines = service_log_lines(RAW, "app", "ms_app", {T2: task(T2, 2, N2)}, {N2: "worker-2"})
    errors = matching(lines, r"\bERROR\b")
    assert errors_by_node(errors) == {"worker-2": 2}
    assert busiest_sources(errors, errors[0].timestamp) == [(f"ms_app.2.{T2}@worker-2", 2)]
    [f] = rate_findings("ms", errors, peak([e.timestamp for e in errors]), 2, 60)
    assert f"from ms_app.2.{T2}@worker-2 (2)" in f.sentence
