"""BLD-06 — `docker compose ... config --quiet` passes.

The real Compose CLI accepts the target's compose file(s). For swarm targets (every file not listed
in `build.compose_only_files`), the docker CLI's own loader (the one `docker stack deploy` uses, via
`docker stack config`) must accept them too, every one of its errors reported in a stable order, and
no service may set an option a swarm deploy silently does not honour (security_opt, container_name,
restart, profiles, depends_on conditions, `build:` with no `image:`, ...; the table and its reasons
are in the rules module). Harmless ones (`build:` beside an `image:`, `expose`) are noted in the
evidence.
"""

import pytest

from nestgate.probes.compose import compose
from nestgate.probes.stack_cli import every_loader_error, stack_config
from nestgate.rules.bld06_compose_config import (
    REJECTED,
    SOURCE,
    compose_findings,
    option_uses,
    stack_findings,
    swarm_findings,
    swarm_uses,
)

pytestmark = [pytest.mark.build, pytest.mark.declared]


@pytest.mark.control("BLD-06")
def test_compose_accepts_the_compose_files(target_config, declared, evidence):
    target = target_config.model.target
    files = target_config.compose_paths
    shown = ", ".join(str(f) for f in files)
    compose_only = {target_config.project_dir / name for name in target_config.model.build.compose_only_files}
    swarm_files = [f for f in files if f not in compose_only] if target.orchestrator == "swarm" else []
    result = compose(["config", "--quiet"], files, target_config.project_dir, target.stack, target.call_timeout_s)
    evidence.source(f"`{' '.join(result.argv)}`")
    evidence.limit(compose_config_exit_status=0, **({"stack_config_exit_status": 0, "swarm_ignored_options": "none"}
                                                     if swarm_files else {}))
    evidence.measure(compose_config_exit_status=result.returncode, swarm_files=[str(f) for f in swarm_files],
                     compose_only_files=[str(f) for f in files if f not in swarm_files])
    evidence.require(compose_findings(shown, result))
    if not swarm_files:
        return

    swarm_shown = ", ".join(str(f) for f in swarm_files)
    stack = stack_config(swarm_files, target_config.project_dir, target.call_timeout_s)
    evidence.source(f"`{' '.join(stack.argv)}` (the loader of `docker stack deploy`)")
    evidence.source(SOURCE)
    errors = None
    if not stack.ok and len(swarm_files) == 1:
        errors = every_loader_error(swarm_files[0], swarm_files[0].parent, target.call_timeout_s, REJECTED)
        evidence.source("`docker stack config -c -` once per service of the file, each error's key dropped in turn")
    services = {name: svc.spec for name, svc in declared.services.items()}
    uses, rejected = swarm_uses(services), option_uses(services, REJECTED)
    evidence.measure(stack_config_exit_status=stack.returncode, stack_loader_errors=errors or
                     ([stack.last_error_line()] if not stack.ok else []),
                     not_honoured_by_stack_deploy=[str(u) for u in uses if u.fails],
                     ignored_by_stack_deploy=[str(u) for u in uses if not u.fails],
                     rejected_by_stack_deploy=[str(f) for f in rejected])
    found = evidence.judge(stack_findings(swarm_shown, stack, rejected, errors) + swarm_findings(swarm_shown, uses))
    assert not found, found.message
