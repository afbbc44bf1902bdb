"""Containers started through the engine API into the stack's namespace, for faults that swarm
services cannot express (Privileged). Labelled so `down` and the fault's removal find them."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from docker.errors import NotFound
from docker.types import Healthcheck

from nestgate.testbed.run import client

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed

EXTRA_LABEL = "nestgate.testbed.extra"


def name_for(tb: Testbed, fault: str) -> str:
    return f"{tb.instance}_{fault}-debug"


def start(tb: Testbed, fault: str, **host_options: Any) -> None:
    stop(tb, fault)
    client().containers.run(
        tb.state.images["base"], ["busybox", "sleep", "2147483647"], name=name_for(tb, fault), detach=True,
        user="65534:65534", read_only=True, cap_drop=["ALL"], init=True, network_mode="none",
        mem_limit="16m", nano_cpus=50_000_000, restart_policy={"Name": "unless-stopped"},
        healthcheck=Healthcheck(test=["CMD", "busybox", "true"], interval=3_000_000_000,
                                timeout=3_000_000_000, retries=3),
        labels={"com.docker.stack.namespace": tb.instance, "nestgate.testbed.instance": tb.instance,
                EXTRA_LABEL: fault},
        **host_options,
    )


def stop(tb: Testbed, fault: str) -> None:
    with contextlib.suppress(NotFound):
        client().containers.get(name_for(tb, fault)).remove(force=True)
