"""Faults in the stack's declared shape: healthchecks, limits, replicas, rollback targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nestgate.testbed import stack
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.compose import Model
    from nestgate.testbed.testbed import Testbed


def _no_healthcheck(model: Model, tb: Testbed) -> None:
    model.svc("nginx")["healthcheck"] = None


def _no_memory_limit(model: Model, tb: Testbed) -> None:
    model.svc("monitor")["memory"] = None


def _two_nginx(model: Model, tb: Testbed) -> None:
    model.svc("nginx")["replicas"] = 2


def _forget_monitor(tb: Testbed) -> None:
    # A freshly created service has no PreviousSpec: remove it so the deploy recreates it.
    found = stack.services(tb.instance).get("monitor")
    if found is not None:
        found.remove()
        stack.wait_gone(tb.instance, "monitor")


FAULTS = [
    Fault("no-healthcheck", "BLD-05", "nginx declares no healthcheck",
          "compose: services.nginx.healthcheck = {disable: true}.", compose=_no_healthcheck),
    Fault("no-memory-limit", "PRF-02", "monitor has no memory limit",
          "compose: services.monitor.deploy.resources.limits.memory removed (cpus kept).",
          compose=_no_memory_limit),
    Fault("replica-unschedulable", "INF-06", "nginx wants 2 replicas, 1 can run",
          "compose: services.nginx.deploy.replicas = 2; the second task stays pending because its "
          "host-mode port is taken on the only node. The first keeps serving.",
          compose=_two_nginx, expect_pending={"nginx": 1}),
    Fault("no-rollback-image", "INF-08", "monitor has no previous image to roll back to",
          "the monitor service is removed and recreated by stack deploy, so it has no PreviousSpec "
          "(removal redeploys release 1 then release 2 to restore one).",
          pre_apply=_forget_monitor, no_rollback=("monitor",)),
]
