"""INF-02 — All required environment variables configured (`All required environment variables configured`).

The required names come from `infra.env.required`, or else from the target's `.env.example`.
They are checked where each configured service gets its environment. The declared side reads the
compose `environment`, with `env_file` merged in by Compose. The runtime side reads the swarm
service spec and every running container's env. A variable that is not set, is empty, or holds
a placeholder (`changeme`, `example`, `TODO`, an unevaluated `$(...)`) fails. Messages name the
variable and the kind of problem, never the value.
"""

import pytest

from nestgate.gate.params import each_env_service
from nestgate.probes.env_file import required_names
from nestgate.probes.readers.inspect import env_list_to_dict
from nestgate.rules.inf02_env import compose_environment, env_findings

pytestmark = pytest.mark.infra


def _required(target_config, evidence) -> list[str]:
    env_cfg = target_config.model.infra.env
    names, origin = required_names(env_cfg.required, target_config.project_dir / env_cfg.env_example)
    evidence.source(f"required names: {origin}")
    evidence.limit(required=names, set_non_empty=True, placeholder_kinds=sorted(env_cfg.placeholders))
    return names


@pytest.mark.declared
@pytest.mark.control("INF-02", service=each_env_service)
def test_required_variables_declared(service, target_config, stack, evidence):
    names = _required(target_config, evidence)
    patterns = target_config.model.infra.env.placeholders
    evidence.source("docker compose config --format json: services.<service>.environment (env_file merged)")
    env = compose_environment(stack.service(service).get("environment"))
    found = evidence.judge(env_findings(f"service {service} (compose)", env, names, patterns))
    evidence.measure(variables_checked=len(names), problems=[str(f) for f in found])
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("INF-02", service=each_env_service)
def test_required_variables_running(service, target_config, engine, stack, evidence):
    names = _required(target_config, evidence)
    patterns = target_config.model.infra.env.placeholders
    findings = []
    places: list[str] = []
    if target_config.model.target.orchestrator == "swarm":
        deployed = stack.deployed(service)
        evidence.source("Spec.TaskTemplate.ContainerSpec.Env of the service")
        places.append(f"service {deployed.id[:12]} spec")
        findings += env_findings(f"service {service} spec", env_list_to_dict(deployed.env), names, patterns)
    evidence.source(f"GET /containers/<id>/json on {engine.url}: Config.Env")
    for c in stack.running(service):
        places.append(f"container {c.name}")
        env = env_list_to_dict((c.inspect.get("Config") or {}).get("Env") or [])
        findings += env_findings(f"container {c.name}", env, names, patterns)
    found = evidence.judge(findings)
    evidence.measure(variables_checked=len(names), places=places, problems=[str(f) for f in found])
    assert not found, found.message
