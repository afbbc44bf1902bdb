"""SEC-04 drift: the running service no longer matches its compose declaration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nestgate.testbed import stack
from nestgate.testbed.faults.base import Fault
from nestgate.testbed.run import docker_cli, run

if TYPE_CHECKING:
    from nestgate.testbed.testbed import Testbed


def _writable_redis(tb: Testbed) -> None:
    """What an operator's hot fix looks like: `docker service update`, the compose file untouched."""
    run([docker_cli(), "service", "update", "--detach=true", "--read-only=false", f"{tb.instance}_redis"],
        timeout=stack.DEPLOY_TIMEOUT_S)
    stack.wait_converged(tb.instance)


def _redeploy(tb: Testbed) -> None:
    # The compose file did not change, so nothing else redeploys: put the declared spec back.
    stack.deploy(tb.instance, tb.compose_path)
    stack.wait_converged(tb.instance)


FAULTS = [
    Fault("hardening-drift", "SEC-04", "redis runs with a writable root filesystem, compose says read-only",
          "after the deploy, `docker service update --read-only=false <instance>_redis`; the compose file "
          "still declares read_only: true, so declared and running disagree. Removal redeploys the stack.",
          post_apply=_writable_redis, post_remove=_redeploy),
]
