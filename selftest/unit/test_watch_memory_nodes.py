"""Watch's memory signal over every node (pure parts) and the Nodes view a long watch refreshes."""

from __future__ import annotations

from pathlib import Path

import pytest

from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts, ServiceState, StatsFacts, TaskFacts
from nestgate.probes.nodes import NodeProblem, NodeRef, Nodes, NodeUnavailable, TaskOnNode
from nestgate.watch.sampler import FAILED, MemoryRound, _memory, _service_up, _unread_by_service, node_label

MANAGER, WORKER = NodeRef("m" * 25, "vm"), NodeRef("w" * 25, "vm")


def _fig(container: str, service: str, used: int, limit: int = 100) -> StatsFacts:
    return StatsFacts(container, service, used, limit, 0.0, 2)


def test_each_service_takes_its_container_nearest_the_limit_on_any_node():
    got = MemoryRound([(node_label(MANAGER), _fig("app.1", "app", 10)), (node_label(WORKER), _fig("app.2", "app", 60)),
                       (node_label(WORKER), _fig("redis.1", "redis", 5))], [], {"app", "redis"}, [], {})
    out = {s.subject: s for s in _memory(["app", "redis", "gone"], got)}
    assert out["app"].value == 60.0 and out["app"].detail["node"] == f"vm ({'w' * 12})"
    assert out["app"].detail["containers"] == 2 and out["redis"].value == 5.0
    assert out["gone"].value == FAILED and out["gone"].detail["error"] == "no running container for service gone"


def test_a_node_not_read_fails_every_service_it_runs_naming_it_never_a_subset():
    problem = NodeProblem(WORKER, "no access configured in [target.nodes]", ("app.2", "redis.1"))
    figures = [(node_label(MANAGER), _fig("app.1", "app", 10)), (node_label(MANAGER), _fig("pg.1", "pg", 7))]
    got = MemoryRound(figures, [], {"app", "redis", "pg"}, [problem], {WORKER.id: {"app", "redis"}})
    out = {s.subject: s for s in _memory(["app", "pg", "redis"], got)}
    for name in ("app", "redis"):  # app's manager replica alone would be a silent subset
        assert out[name].value == FAILED
        assert f"({'w' * 12}): no access configured in [target.nodes]; it runs app.2, redis.1" in \
            out[name].detail["error"]
    assert out["pg"].value == 7.0


def test_a_node_with_unknown_services_fails_them_all_and_a_failed_round_fails_every_service():
    problem = NodeProblem(NodeRef("", "engine host"), "host local:// does not answer", ())
    out = _memory(["a", "b"], MemoryRound([], [], set(), [problem], {"": set()}))
    assert [s.value for s in out] == [FAILED, FAILED] and all("engine host" in s.detail["error"] for s in out)
    out = _memory(["a"], "Docker engine unreachable at unix:///x")
    assert out[0].value == FAILED and out[0].detail["error"] == "Docker engine unreachable at unix:///x"


def test_a_refreshed_view_keeps_the_hosts_that_answered_and_tries_the_others_again(tmp_path: Path):
    engine = Engine(f"unix://{tmp_path}/none.sock", 5, "s", "swarm")  # never called: placement is set below
    nodes = Nodes(engine, {"local-node": "local://"}, tmp_path, 5)
    here, elsewhere = NodeRef("a" * 25, "local-node"), NodeRef("b" * 25, "other")
    nodes._placement = {here: [TaskOnNode("app", "app.1", "c1")], elsewhere: [TaskOnNode("app", "app.2", "c2")]}
    nodes._engine_node = "c" * 25
    host = nodes.host(here)
    with pytest.raises(NodeUnavailable, match=r"no access configured .*; it runs app\.2"):
        nodes.host(elsewhere)
    fresh = nodes.refreshed()
    assert fresh._placement is None and fresh.facts == {}  # placement read again each sample
    assert fresh.host(here) is host  # the same host object: its connection is kept
    assert elsewhere.id not in fresh._hosts and fresh._engine_node == nodes._engine_node


def _running(cid: str, node: str) -> TaskFacts:
    return TaskFacts(f"t-{cid}", 1, node, "running", "running", "", "", None, cid, None)


def _container(cid: str, name: str, health: str) -> ContainerFacts:
    return ContainerFacts(cid, name, "app", "image", "running", health, 1, "", {})


def test_service_up_judges_health_on_every_node_and_names_a_node_it_could_not_read():
    svc = ServiceState("sid", "app", "replicated", 2, 2, "image", "", True,
                       [_running("c1", MANAGER.id), _running("c2", WORKER.id)])
    on_manager, on_worker = _container("c1", "s_app.1", "healthy"), _container("c2", "s_app.2", "unhealthy")
    down = _service_up("app", svc, [on_manager, on_worker], "s")  # the worker's replica, read through its host
    assert down.value == 0.0 and down.detail["not_healthy"] == ["s_app.2"]
    problem = NodeProblem(WORKER, "host ssh://w does not answer", ("app.2",))
    got = MemoryRound([], [on_manager], {"app"}, [problem], {WORKER.id: {"app"}})
    unread = _unread_by_service(got)
    up = _service_up("app", svc, got.containers, "s", unread["app"])  # unknown health is not "unhealthy"
    assert up.value == 1.0 and up.detail["health_not_read_on"] == [f"vm ({'w' * 12})"]
