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
from nestgate.rules.inf02_env import compose_environment, problems

pytestmark = pytest.mark.infra


def _required(target_config, evidence) -> list[str]:
    env_cfg = target_config.model.infra.env
    names, origin = required_names(env_cfg.required, target_config.project_dir / env_cfg.env_example)
    evidence.source(f"required names: {origin}")
    evidence.limit(required=names, set_non_empty=True, placeholder_kinds=sorted(env_cfg.placeholders))
    return names


def _findings(where: str, env, names, patterns) -> list[str]:
    return [f"{where}: {p.describe()}" for p in problems(env, names, patterns)]


@pytest.mark.declared
@pytest.mark.control("INF-02", service=each_env_service)
def test_required_variables_declared(service, target_config, declared, evidence):
    names = _required(target_config, evidence)
    patterns = target_config.model.infra.env.placeholders
    services = declared.services
    evidence.source("docker compose config --format json: services.<service>.environment (env_file merged)")
    assert service in services, (
        f"service {service} is not declared in {', '.join(map(str, target_config.compose_paths))}: "
        f"its {len(names)} required variables cannot be checked")
    found = _findings(f"service {service} (compose)", compose_environment(services[service].get("environment")),
                      names, patterns)
    evidence.measure(variables_checked=len(names), problems=found)
    assert not found, "; ".join(found)


@pytest.mark.runtime
@pytest.mark.control("INF-02", service=each_env_service)
def test_required_variables_running(service, target_config, engine, evidence):
    names = _required(target_config, evidence)
    patterns = target_config.model.infra.env.placeholders
    found: list[str] = []
    places: list[str] = []
    if target_config.model.target.orchestrator == "swarm":
        evidence.source(f"GET /services on {engine.url}: Spec.TaskTemplate.ContainerSpec.Env")
        states = {s.name: s for s in engine.service_states()}
        assert service in states, f"service {service} is not deployed in stack {engine.stack}"
        places.append(f"service {states[service].id[:12]} spec")
        found += _findings(f"service {service} spec", env_list_to_dict(states[service].env), names, patterns)
    containers = [c for c in engine.running() if c.service == service]
    evidence.source(f"GET /containers/<id>/json on {engine.url}: Config.Env")
    assert containers, f"service {service} has no running container in stack {engine.stack}"
    for c in containers:
        places.append(f"container {c.name}")
        env = env_list_to_dict((c.inspect.get("Config") or {}).get("Env") or [])
        found += _findings(f"container {c.name}", env, names, patterns)
    evidence.measure(variables_checked=len(names), places=places, problems=found)
    assert not found, "; ".join(found)
