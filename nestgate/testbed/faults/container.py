"""SEC-04 faults: one container of the stack loses one hardening property."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nestgate.testbed import extras
from nestgate.testbed.compose import healthcheck, service
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.compose import Model
    from nestgate.testbed.testbed import Testbed


def _set(service_name: str, key: str, value: Any):
    def patch(model: Model, tb: Testbed) -> None:
        model.svc(service_name)[key] = value
    return patch


def _docker_socket(model: Model, tb: Testbed) -> None:
    model.svc("app")["volumes"].append(
        {"type": "bind", "source": "/var/run/docker.sock", "target": "/var/run/docker.sock", "read_only": True})


def _host_agent(model: Model, tb: Testbed) -> None:
    model.services["node-agent"] = service(
        comment=["Host metrics agent: joins the host's network namespace."],
        image=tb.state.images["base"], command=["busybox", "sleep", "2147483647"], user="65534:65534",
        networks=["host"], healthcheck=healthcheck(["CMD", "busybox", "true"]),
        memory="16M", cpus="0.05", tmpfs=[],
    )
    model.external_networks["host"] = "host"


FAULTS = [
    Fault("root-user", "SEC-04", "app runs as root (user 0:0)",
          "compose: services.app.user = \"0:0\"; the app process really runs with UID 0.",
          compose=_set("app", "user", "0:0")),
    Fault("privileged", "SEC-04", "a privileged container in the stack namespace",
          "Swarm services cannot be privileged (stack deploy has no such option), so the honest "
          "equivalent: a standalone container started through the engine API with Privileged=true, "
          "labelled com.docker.stack.namespace=<instance> (otherwise hardened: non-root, read-only, "
          "limits, healthcheck, no network). It is running but not declared in the compose file.",
          post_apply=lambda tb: extras.start(tb, "privileged", privileged=True),
          pre_remove=lambda tb: extras.stop(tb, "privileged")),
    Fault("cap-sys-admin", "SEC-04", "app adds CAP_SYS_ADMIN",
          "compose: services.app.cap_add = [SYS_ADMIN] (not in any allow-list).",
          compose=_set("app", "cap_add", ["SYS_ADMIN"])),
    Fault("writable-rootfs", "SEC-04", "app root filesystem writable",
          "compose: services.app.read_only = false.", compose=_set("app", "read_only", False)),
    Fault("docker-socket", "SEC-04", "app mounts /var/run/docker.sock",
          "compose: a read-only bind of /var/run/docker.sock into the app.", compose=_docker_socket),
    Fault("host-network", "SEC-04", "a node-agent service on the host network",
          "compose: an extra service `node-agent` (busybox sleep, otherwise hardened, limits and "
          "healthcheck) attached to the external `host` network; the five services are untouched "
          "(moving one of them to the host network would cut it off the overlays and break others).",
          compose=_host_agent),
]
