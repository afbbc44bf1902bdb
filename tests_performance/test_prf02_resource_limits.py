"""PRF-02 — Container resource limits properly configured.

Every service declares memory and CPU limits (`deploy.resources.limits`, what `docker stack deploy`
applies; compose targets may also use `mem_limit`/`cpus`), and every running container has them in
force (`HostConfig.Memory`, `NanoCpus` or `CpuQuota`), equal to what is declared.
"""

import pytest

from nestgate.gate.params import each_service
from nestgate.rules.prf02_resource_limits import declared_limits, disagreements, missing, running_limits

pytestmark = [pytest.mark.performance]


def _declared(declared, service, target_config):
    spec = declared.services.get(service)
    files = ", ".join(target_config.model.target.compose_files)
    assert spec is not None, f"service {service} is not declared in {files}"
    return declared_limits(spec.spec, target_config.model.target.orchestrator)


@pytest.mark.declared
@pytest.mark.control("PRF-02", service=each_service)
def test_limits_declared(service, declared, target_config, evidence):
    evidence.source(f"compose config of {', '.join(target_config.model.target.compose_files)}")
    evidence.limit(memory="set", cpus="set")
    limits = _declared(declared, service, target_config)
    evidence.measure(declared=limits.limits.describe(), keys=limits.source, ignored=limits.ignored)
    absent = missing(limits.limits)
    assert not absent, (
        f"service {service} declares no {' and no '.join(absent)} limit ({limits.limits.describe()}) "
        f"in {limits.source}{'; ' + limits.ignored if limits.ignored else ''}")


@pytest.mark.runtime
@pytest.mark.control("PRF-02", service=each_service)
def test_limits_in_force(service, engine, declared, target_config, evidence):
    stack = target_config.model.target.stack
    evidence.source(f"GET /containers/json + /containers/{{id}}/json (HostConfig) on {engine.url}")
    limits = _declared(declared, service, target_config).limits
    evidence.limit(declared=limits.describe())
    containers = [c for c in engine.running() if c.service == service]
    assert containers, f"service {service}: no running container in stack {stack}"
    in_force = {c.name: running_limits(c.inspect) for c in containers}
    evidence.measure(in_force={name: lim.describe() for name, lim in in_force.items()})
    problems = []
    for name, running in in_force.items():
        absent = missing(running)
        if absent:
            problems.append(f"container {name} runs with no {' and no '.join(absent)} limit "
                            f"(in force: {running.describe()}; declared: {limits.describe()})")
        diff = disagreements(limits, running)
        if diff and not absent:
            problems.append(f"container {name}: {'; '.join(diff)}")
    assert not problems, f"service {service}: " + "; ".join(problems)
