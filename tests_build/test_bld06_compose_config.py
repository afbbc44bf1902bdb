"""BLD-06 — `docker compose ... config --quiet` passes.

The real Compose CLI accepts the target's compose file(s). For swarm targets, the docker CLI's own
loader (the one `docker stack deploy` uses, via `docker stack config`) must accept them too, and
the options stack deploy drops (build, restart, container_name, security_opt, depends_on, ...)
are listed in the evidence: reported, not failed.
"""

import pytest

from nestgate.probes.compose import compose
from nestgate.probes.stack_cli import stack_config
from nestgate.rules.bld06_compose_config import (
    IGNORED,
    REJECTED,
    SOURCE,
    compose_findings,
    option_uses,
    stack_findings,
)

pytestmark = [pytest.mark.build, pytest.mark.declared]


@pytest.mark.control("BLD-06")
def test_compose_accepts_the_compose_files(target_config, declared, evidence):
    target = target_config.model.target
    files = target_config.compose_paths
    shown = ", ".join(str(f) for f in files)
    result = compose(["config", "--quiet"], files, target_config.project_dir, target.stack, target.call_timeout_s)
    evidence.source(f"`{' '.join(result.argv)}`")
    evidence.limit(compose_config_exit_status=0, **({"stack_config_exit_status": 0} if target.orchestrator ==
                                                     "swarm" else {}))
    evidence.measure(compose_config_exit_status=result.returncode)
    evidence.require(compose_findings(shown, result))
    if target.orchestrator != "swarm":
        return

    stack = stack_config(files, target_config.project_dir, target.call_timeout_s)
    evidence.source(f"`{' '.join(stack.argv)}` (the loader of `docker stack deploy`)")
    evidence.source(SOURCE)
    services = {name: svc.spec for name, svc in declared.services.items()}
    ignored, rejected = option_uses(services, IGNORED), option_uses(services, REJECTED)
    evidence.measure(stack_config_exit_status=stack.returncode,
                     ignored_by_stack_deploy=[str(f) for f in ignored],
                     rejected_by_stack_deploy=[str(f) for f in rejected])
    found = evidence.judge(stack_findings(shown, stack, rejected))
    assert not found, found.message
