"""INF-02 — All required environment variables configured (`All required environment variables configured`).

The required names come from `infra.env.required`, or else from what the target's `.env.example`
marks required (an entry with a value, or left empty with a note on how to fill it; commented-out,
bare empty and "optional"-noted entries are optional; `infra.env.optional` overrides). They are
checked where each configured service gets its environment: the declared side reads the compose
`environment`, with `env_file` merged in by Compose; the runtime side reads the swarm service spec and
every running container's env. A required variable that is not set fails; any variable the service
receives, listed in the example or not, fails when empty or a placeholder (`changeme`, `example`,
`TODO`, an unevaluated `$(...)` or `${...}`). Optional variables left unset are noted in the
evidence. Messages name the variable and the kind of problem, never the value.
"""

import pytest

from nestgate.gate.params import each_env_service
from nestgate.probes.env_file import EnvPlan, env_plan
from nestgate.probes.readers.inspect import env_list_to_dict
from nestgate.rules.inf02_env import compose_environment, env_findings, optional_unset

pytestmark = pytest.mark.infra


def _plan(target_config, evidence) -> EnvPlan:
    env_cfg = target_config.model.infra.env
    plan = env_plan(env_cfg.required, env_cfg.optional, target_config.project_dir / env_cfg.env_example)
    evidence.source(f"required names: {plan.origin}")
    evidence.limit(required=plan.required, optional=plan.optional, every_received_variable="non-empty, no placeholder",
                   placeholder_kinds=sorted(env_cfg.placeholders))
    return plan


@pytest.mark.declared
@pytest.mark.control("INF-02", service=each_env_service)
def test_required_variables_declared(service, target_config, stack, evidence):
    plan = _plan(target_config, evidence)
    patterns = target_config.model.infra.env.placeholders
    evidence.source("docker compose config --format json: services.<service>.environment (env_file merged)")
    env = compose_environment(stack.service(service).get("environment"))
    found = evidence.judge(env_findings(f"service {service} (compose)", env, plan.required, patterns))
    evidence.measure(variables_checked=len(set(plan.required) | set(env)), problems=[str(f) for f in found],
                     optional_unset=optional_unset(env, plan.optional), example_rule=plan.why)
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("INF-02", service=each_env_service)
def test_required_variables_running(service, target_config, engine, stack, evidence):
    plan = _plan(target_config, evidence)
    patterns = target_config.model.infra.env.placeholders
    findings = []
    places: list[str] = []
    unset: dict[str, list[str]] = {}
    if target_config.model.target.orchestrator == "swarm":
        deployed = stack.deployed(service)
        evidence.source("Spec.TaskTemplate.ContainerSpec.Env of the service")
        places.append(f"service {deployed.id[:12]} spec")
        findings += env_findings(f"service {service} spec", env_list_to_dict(deployed.env), plan.required, patterns)
    evidence.source(f"GET /containers/<id>/json on {engine.url}: Config.Env")
    for c in stack.running(service):
        places.append(f"container {c.name}")
        env = env_list_to_dict((c.inspect.get("Config") or {}).get("Env") or [])
        findings += env_findings(f"container {c.name}", env, plan.required, patterns)
        unset[c.name] = optional_unset(env, plan.optional)
    found = evidence.judge(findings)
    evidence.measure(required_checked=len(plan.required), places=places, problems=[str(f) for f in found],
                     optional_unset=unset)
    assert not found, found.message
