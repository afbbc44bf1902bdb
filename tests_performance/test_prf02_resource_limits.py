"""PRF-02 — Container resource limits properly configured.

Every service declares memory and CPU limits (`deploy.resources.limits`, what `docker stack deploy`
applies; compose targets may also use `mem_limit`/`cpus`), and every running container has them in
force (`HostConfig.Memory`, `NanoCpus` or `CpuQuota`), equal to what is declared.
"""

import pytest

from nestgate.gate.params import each_service
from nestgate.rules.prf02_resource_limits import (
    DeclaredLimits,
    declared_findings,
    declared_limits,
    in_force_findings,
    running_limits,
)

pytestmark = [pytest.mark.performance]


def _declared(stack, service, target_config) -> DeclaredLimits:
    return declared_limits(stack.service(service).spec, target_config.model.target.orchestrator)


@pytest.mark.declared
@pytest.mark.control("PRF-02", service=each_service)
def test_limits_declared(service, stack, target_config, evidence):
    evidence.limit(memory="set", cpus="set")
    limits = _declared(stack, service, target_config)
    evidence.measure(declared=limits.limits.describe(), keys=limits.source, ignored=limits.ignored)
    found = evidence.judge(declared_findings(service, limits))
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("PRF-02", service=each_service)
def test_limits_in_force(service, stack, target_config, evidence):
    evidence.source(f"GET /containers/json + /containers/{{id}}/json (HostConfig) on {stack.engine.url}")
    limits = _declared(stack, service, target_config).limits
    evidence.limit(declared=limits.describe())
    in_force = {c.name: running_limits(c.inspect) for c in stack.running(service)}
    evidence.measure(in_force={name: lim.describe() for name, lim in in_force.items()})
    found = evidence.judge(in_force_findings(service, limits, in_force))
    assert not found, found.message
