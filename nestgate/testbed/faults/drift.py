"""SEC-04 drift: the running service no longer matches its compose declaration (an operator's
`docker service update`; the compose file stays clean, so only SEC-04's running side sees it)."""

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


def _hot_fix_app(*flags: str):
    """A hot fix of the built app. Like every change of a built service in the testbed it goes out
    as release 1 then release 2, so swarm's PreviousSpec keeps an older image to roll back to
    (INF-08); one update would leave the current image there."""
    def hook(tb: Testbed) -> None:
        service, current = f"{tb.instance}_app", tb.state.images["app"]
        for image, extra in ((current.removesuffix("-r2") + "-r1", list(flags)), (current, [])):
            run([docker_cli(), "service", "update", "--detach=true", "--no-resolve-image", *extra, "--image", image,
                 service],
                timeout=stack.DEPLOY_TIMEOUT_S)
            stack.wait_converged(tb.instance)
    return hook


def _forget_spec(service: str):
    def hook(tb: Testbed) -> None:
        # The recorded running spec is the drifted one: without it the next deploy sees the service
        # as changed and puts the declared spec back (a built one as release 1 then release 2). A
        # plain `docker stack deploy` of the whole file would also update the untouched built
        # services with their current image, leaving them nothing to roll back to (INF-08).
        tb.state.running_specs.pop(service, None)
    return hook


SOCKET_MOUNT = "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock,readonly"


FAULTS = [
    Fault("hardening-drift", "SEC-04", "redis runs with a writable root filesystem, compose says read-only",
          "after the deploy, `docker service update --read-only=false <instance>_redis`; the compose file "
          "still declares read_only: true, so declared and running disagree. Removal redeploys the declared redis.",
          post_apply=_writable_redis, pre_remove=_forget_spec("redis")),
    Fault("runtime-cap-added", "SEC-04", "the running app has CAP_SYS_ADMIN, the compose file adds none",
          "after the deploy, `docker service update --cap-add CAP_SYS_ADMIN <instance>_app` (as release 1, "
          "then release 2); the compose file declares no cap_add, so the declared side passes and the "
          "running side fails. Removal redeploys the declared app.",
          post_apply=_hot_fix_app("--cap-add", "CAP_SYS_ADMIN"), pre_remove=_forget_spec("app")),
    Fault("runtime-socket-mount", "SEC-04", "the running app mounts the docker socket, the compose file does not",
          f"after the deploy, `docker service update --mount-add {SOCKET_MOUNT} <instance>_app` (as "
          "release 1, then release 2); the compose file mounts nothing of the host, so the declared side "
          "passes and the running side fails. Removal redeploys the declared app.",
          post_apply=_hot_fix_app("--mount-add", SOCKET_MOUNT), pre_remove=_forget_spec("app")),
]
