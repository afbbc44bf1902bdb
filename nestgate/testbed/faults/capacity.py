"""Performance faults with a valid declaration and a real overrun: PRF-03, a pool that opens
connections past its limit under the burst; PRF-04, a stack that really uses more memory than the
total allowed."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from nestgate.testbed import stack
from nestgate.testbed.errors import TestbedError
from nestgate.testbed.faults.app import env
from nestgate.testbed.faults.base import Fault

if TYPE_CHECKING:
    from nestgate.testbed.compose import Model
    from nestgate.testbed.testbed import Testbed

# The monitor alone holds ~2.25 GiB: the stack's total (the others use ~0.2 GiB) is over PRF-04's
# 2 GiB, while the monitor stays at 75 % of its own limit (PRF-06: under 80 %).
BIG_MEMORY, BIG_MEMORY_MIB = "3G", 3072
BIG_PERCENT = 75
# The monitor's log line once every page of this cache is touched (not a previous fault's smaller one).
FILLED = f"monitor cache filled percent_of_limit={BIG_PERCENT} limit_mb={BIG_MEMORY_MIB}".encode()
FILL_TIMEOUT_S = 240


def _big_monitor(model: Model, tb: Testbed) -> None:
    monitor = model.svc("monitor")
    monitor["memory"] = BIG_MEMORY
    monitor["environment"]["MONITOR_CACHE_PERCENT_OF_LIMIT"] = BIG_PERCENT


def _wait_filled(tb: Testbed) -> None:
    """The monitor warms its cache behind its server (healthy at once, BLD-05): the fault is in
    place, and the monitor idle again (PRF-06's CPU), only once the cache is full."""
    deadline = time.monotonic() + FILL_TIMEOUT_S
    while not any(FILLED in c.logs() for c in stack.task_containers(tb.instance, "monitor")):
        if time.monotonic() > deadline:
            raise TestbedError(f"{tb.instance}_monitor did not fill its cache within {FILL_TIMEOUT_S} s")
        time.sleep(2)


FAULTS = [
    Fault("pool-leaks-connections", "PRF-03", "the app's pool opens connections past DB_POOL_MAX under load",
          "compose: app DB_POOL_REUSE_IDLE=false (DB_POOL_MAX=10 stays, so the declared check passes): every "
          "checkout opens a new connection and returned ones sit idle until the 10 s reaper, so the limit "
          "bounds the connections in use, not those open. The burst of 40 requests leaves ~40 open.",
          compose=env("app", "DB_POOL_REUSE_IDLE", "false")),
    Fault("memory-over-total", "PRF-04", "the stack uses ~2.4 GiB of memory, over the 2 GiB total",
          f"compose: monitor memory limit {BIG_MEMORY} (declared and in force alike, so PRF-02 holds) and "
          f"MONITOR_CACHE_PERCENT_OF_LIMIT={BIG_PERCENT}: an in-memory cache of real, touched pages "
          f"(~2.25 GiB), {BIG_PERCENT} % of its own limit (PRF-06's is 80 %).",
          compose=_big_monitor, post_apply=_wait_filled),
]
