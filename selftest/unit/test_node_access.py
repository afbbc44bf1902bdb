"""Node access: the [target.nodes] schema, the node readers (pure parsers) and the per-node fail-closed rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from nestgate.config.nodes import NodeHost
from nestgate.config.target import Target
from nestgate.probes.nodes import NodeProblem, NodeRef, host_spec, redacted_spec
from nestgate.probes.nodes_read import container_from_inspect, outcome
from nestgate.probes.readers import node_sections as ns
from nestgate.probes.tcp import addresses_in, routed_in
from nestgate.rules.findings import node_gap_findings


def test_nodes_accept_specs_and_tables():
    t = Target(nodes={"vm": "local://", "abcdef123456": {"host": "ssh://root@10.0.0.2:2222", "identity_file": "k"}})
    assert t.nodes["vm"] == "local://" and t.nodes["abcdef123456"].identity_file == "k"
    assert Target().nodes == {}


@pytest.mark.parametrize(("value", "loc", "says"), [
    ("foo", "nodes.n.spec", "expected one of local://, ssh://, paramiko://, docker://"),
    ("ssh://", "nodes.n.spec", "ssh:// needs a host"),
    ("ssh://u:secret@h", "nodes.n.spec", "a password in the host spec is refused"),
    ({"host": "x"}, "nodes.n.table.host", "not a host spec"),
    ({"host": "ssh://h", "strict_host_key_checking": "maybe"}, "nodes.n.table.strict_host_key_checking", "'yes'"),
])
def test_bad_node_entries_name_the_key(value, loc, says):
    with pytest.raises(ValidationError) as err:
        Target(nodes={"n": value})
    [e] = err.value.errors()
    assert ".".join(map(str, e["loc"])) == loc and says in str(err.value)


def test_ssh_options_are_non_interactive(tmp_path: Path):
    spec, kw = host_spec(NodeHost(host="ssh://root@h:22", identity_file="id", known_hosts_file="kh",
                                  strict_host_key_checking="accept-new"), tmp_path, 3)
    assert spec == "ssh://root@h:22" and kw["ssh_identity_file"] == str(tmp_path / "id") and kw["timeout"] == 3
    assert "-o BatchMode=yes" in kw["ssh_extra_args"] and "StrictHostKeyChecking=accept-new" in kw["ssh_extra_args"]
    assert f"UserKnownHostsFile={tmp_path / 'kh'}" in kw["ssh_extra_args"]
    assert host_spec(NodeHost(host="local://"), tmp_path) == ("local://", {})
    assert redacted_spec("ssh://root@h:22?ssh_identity_file=/k") == "ssh://root@h:22"


def test_sections_split_a_node_commands_output():
    out = "noise\n@@stat\ncpu 1 2\n@@file abc memory.stat\ninactive_file 5\nx y\n@@gone abc 7\n"
    got = ns.sections(out)
    assert [(s.kind, s.args) for s in got] == [("stat", ()), ("file", ("abc", "memory.stat")), ("gone", ("abc", "7"))]
    assert got[1].text == "inactive_file 5\nx y" and got[2].text == ""


def test_cgroup_memory_v1_and_v2():
    v1 = ns.cgroup_memory({"memory.usage_in_bytes": "1000", "memory.stat": "total_inactive_file 100\n",
                           "memory.limit_in_bytes": "4096", "cpuacct.usage": "77"})
    assert v1 == ns.CgroupMemory(1000, 100, 4096, 77)
    v2 = ns.cgroup_memory({"memory.current": "900", "memory.stat": "inactive_file 50", "memory.max": "max",
                           "cpu.stat": "usage_usec 3\n"})
    assert v2 == ns.CgroupMemory(900, 50, None, 3000)
    assert ns.cgroup_memory({"memory.usage_in_bytes": "1"}) is None and ns.cgroup_memory({}) is None
    assert ns.host_cpu_ns("cpu  1 1 1 1 1 1 1 9 9\ncpu0 ...", 100) == 70_000_000
    assert ns.mem_total_bytes("MemTotal:  2 kB\n") == 2048


def test_routes_are_judged_from_text():
    fib = "  |-- 192.0.2.2\n     /32 host LOCAL\n"
    route = ("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n"
             "eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\n")  # 172.17.0.0/16 on a link
    assert addresses_in(fib) == ["127.0.0.1", "192.0.2.2"]
    assert routed_in("172.17.3.4", fib, route) and routed_in("192.0.2.2", fib, route)
    assert not routed_in("10.0.0.5", fib, route) and not routed_in("nope", fib, route)


@pytest.mark.parametrize(("rc", "err", "want"), [
    (0, "", "connected"), (124, "", "timeout"), (1, "bash: connect: Connection refused", "refused"),
    (1, "connect: No route to host", "unreachable"), (1, "weird", "error (weird)")])
def test_connect_outcomes(rc, err, want):
    assert outcome(rc, err) == want


def test_container_from_cli_inspect():
    raw = {"Id": "abc", "Name": "/s_app.2.x", "State": {"Status": "running", "Pid": 42},
           "Config": {"Image": "img", "Labels": {"com.docker.swarm.service.name": "s_app"}}}
    c = container_from_inspect(raw, "s")
    assert (c.id, c.name, c.service, c.pid, c.status) == ("abc", "s_app.2.x", "app", 42, "running")


def test_a_node_without_access_fails_naming_it_and_its_tasks():
    gap = NodeProblem(NodeRef("w0rk3r1d0123456789", "node-b"), "no access configured in [target.nodes]",
                      ("app.2", "redis.1"))
    [f] = node_gap_findings([gap])
    assert str(f) == ("swarm node node-b (w0rk3r1d0123): no access configured in [target.nodes]; "
                      "its tasks app.2, redis.1 are not judged")
    [only_redis] = node_gap_findings([gap], ["redis"])
    assert str(only_redis).endswith("its tasks redis.1 are not judged")
    assert node_gap_findings([gap], ["nginx"]) == []
