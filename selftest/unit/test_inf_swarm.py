"""INF-01 rules: an active swarm, a manager, every node Ready."""

from nestgate.probes.engine_facts import NodeFacts, SwarmFacts
from nestgate.rules.inf01_swarm import node_findings, node_label, swarm_findings

URL = "unix:///var/run/docker.sock"


def swarm(state="active", manager=True, error=""):
    return SwarmFacts(local_node_state=state, node_id="n0d3id", control_available=manager, error=error,
                      node_count=2, manager_count=1)


def node(id_, host, state):
    return NodeFacts(id=id_, hostname=host, state=state, availability="active", role="worker",
                     manager_reachability="")


def test_an_active_manager_has_no_findings():
    assert swarm_findings(URL, swarm()) == []


def test_outside_an_active_swarm_names_the_engine_and_its_state():
    [f] = swarm_findings(URL, swarm("inactive"))
    assert (f.subject, f.property, f.measured, f.expected) == (f"engine {URL}", "LocalNodeState", "inactive", "active")
    assert str(f) == f"engine {URL}: not in an active swarm: LocalNodeState is 'inactive', expected 'active'"
    [f] = swarm_findings(URL, swarm("error", error="certificate expired"))
    assert f.sentence == "not in an active swarm: LocalNodeState is 'error' (certificate expired), expected 'active'"


def test_a_worker_is_not_a_manager():
    [f] = swarm_findings(URL, swarm(manager=False))
    assert (f.subject, f.property, f.measured, f.expected) == ("node n0d3id", "ControlAvailable", False, True)
    assert f.sentence.startswith("not a swarm manager (ControlAvailable false)")


def test_every_node_not_ready_is_a_finding_by_hostname_and_short_id():
    nodes = [node("a" * 25, "mgr", "ready"), node("b" * 25, "wkr", "down"), node("c" * 25, "", "unknown")]
    assert node_label(nodes[1]) == f"wkr ({'b' * 12})"
    found = node_findings(nodes)
    assert [(f.subject, f.property, f.measured, f.expected) for f in found] == [
        (f"swarm node wkr ({'b' * 12})", "state", "down", "ready"),
        (f"swarm node {'c' * 25} ({'c' * 12})", "state", "unknown", "ready")]
    assert str(found[0]) == f"swarm node wkr ({'b' * 12}): state is 'down', expected 'ready'"
    assert node_findings(nodes[:1]) == []
