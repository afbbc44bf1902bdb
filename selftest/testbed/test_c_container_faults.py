"""SEC-04 faults, applied together with one stack deploy, each visible through the engine."""

from __future__ import annotations

from nestgate.testbed import Testbed
from nestgate.testbed.run import client
from selftest.testbed.conftest import all_healthy, container

GROUP = ["root-user", "cap-sys-admin", "writable-rootfs", "docker-socket", "privileged", "host-network"]


def extra(tb: Testbed, fault: str):
    found = client().containers.list(filters={"label": [f"nestgate.testbed.instance={tb.instance}",
                                                         f"nestgate.testbed.extra={fault}"]})
    return found[0] if found else None


def test_hardening_faults_apply_and_remove(tb: Testbed) -> None:
    tb.apply_faults(GROUP)
    try:
        app = container(tb, "app")
        top = app.top()
        uid = top["Titles"].index("UID")
        assert any("medianest_app" in " ".join(p) and p[uid] == "root" for p in top["Processes"])
        host = app.attrs["HostConfig"]
        assert "CAP_SYS_ADMIN" in host["CapAdd"]
        assert host["ReadonlyRootfs"] is False
        assert any(m["Source"] == "/var/run/docker.sock" for m in app.attrs["Mounts"])
        priv = extra(tb, "privileged")
        assert priv is not None and priv.attrs["HostConfig"]["Privileged"] is True
        assert priv.labels["com.docker.stack.namespace"] == tb.instance
        agent = container(tb, "node-agent")
        assert agent.attrs["HostConfig"]["NetworkMode"] == "host"
        assert all_healthy(tb)["app"] == "1/1"
    finally:
        tb.remove_faults(GROUP)
    host = container(tb, "app").attrs["HostConfig"]
    assert host["ReadonlyRootfs"] and not host["CapAdd"] and container(tb, "app").attrs["Config"]["User"] != "0:0"
    assert extra(tb, "privileged") is None
    assert set(all_healthy(tb)) == {"app", "postgres", "redis", "nginx", "monitor"}
    assert set(all_healthy(tb).values()) == {"1/1"}
