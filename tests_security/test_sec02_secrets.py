"""SEC-02 — Docker Swarm external secrets properly deployed (`docker secret ls | grep medianest | wc -l`, 9).

Every external secret the compose file declares exists in the swarm under its resolved name; the
number of secrets with the configured prefix equals the expected count; every secret a service
references exists. No credential reaches a service in the clear (environment, command, entrypoint),
declared or running, and every secret the config names is strong: long enough and no public name.
Evidence: names only, never values.
"""

from urllib.parse import urlsplit

import pytest
from pydantic import BaseModel

from nestgate.config import SecretRef
from nestgate.errors import EvidenceUnavailable
from nestgate.probes import swarm_objects
from nestgate.probes.compose_files import declared_secrets_in
from nestgate.probes.credentials import read_secret
from nestgate.rules.sec02_secrets import (
    clear_findings,
    expected_external,
    no_services_findings,
    referenced,
    secrets_findings,
    weak_secret_findings,
    with_prefix,
)

pytestmark = pytest.mark.security


def _secret_refs(node: object, key: str = "") -> dict[str, SecretRef]:
    """Config key -> every SecretRef the config names, wherever it sits."""
    if isinstance(node, SecretRef):
        return {key: node}
    items = (node.__dict__.items() if isinstance(node, BaseModel) else node.items() if isinstance(node, dict)
             else enumerate(node) if isinstance(node, list) else ())
    return {k: ref for name, child in items for k, ref in _secret_refs(child, f"{key}.{name}".lstrip(".")).items()}


def _public_names(model) -> dict[str, str]:
    """Config key -> the config's public values a secret must not be (or contain, or occur in)."""
    t, db = model.target, model.infra.database
    out = {"target.name": t.name, "target.stack": t.stack, "security.secrets.prefix": model.security.secrets.prefix,
           "infra.database.user": db.user, "infra.database.dbname": db.dbname,
           "infra.database.maintenance_db": db.maintenance_db, "security.auth.username": model.security.auth.username,
           "target.base_url": urlsplit(t.base_url).hostname or "",
           "security.monitoring.base_url": urlsplit(model.security.monitoring.base_url).hostname or ""}
    out |= {f"target.services[{i}]": name for i, name in enumerate(t.services)}
    return {k: v for k, v in out.items() if v}


@pytest.mark.declared
@pytest.mark.control("SEC-02")
def test_config_secrets_are_strong(target_config, evidence):
    policy = target_config.model.security.secrets
    values: dict[str, tuple[str, str]] = {}
    for key, ref in _secret_refs(target_config.model).items():
        try:
            values[key] = (f"{{{'env=' + ref.env if ref.env else 'file=' + str(ref.file)}}}",
                           read_secret(ref, target_config))
        except EvidenceUnavailable:
            continue  # unset or unreadable: the control that uses it fails, naming why
    evidence.source(f"the secrets named in {target_config.path}")
    # Key names avoid secret words: the redactor masks the value of any such key.
    evidence.measure(read_from={k: v[0] for k, v in values.items()},
                     length={k: len(v[1]) for k, v in values.items()}, public_names=sorted(_public_names(
                         target_config.model)))
    evidence.limit(min_secret_length=policy.min_secret_length, public_names="neither equal, contain nor occur in")
    found = evidence.judge(weak_secret_findings(values, _public_names(target_config.model), policy.min_secret_length))
    assert not found, found.message


@pytest.mark.declared
@pytest.mark.control("SEC-02")
def test_declared_credentials_not_in_the_clear(declared, evidence):
    evidence.source(declared.source)
    services = declared.services
    evidence.measure(services=sorted(services), environment={n: sorted(_env_names(s.get("environment")))
                                                             for n, s in ((n, s.spec) for n, s in services.items())})
    evidence.limit(handed_over="only as Docker secrets (not in environment, command or entrypoint)")
    found = evidence.judge(f for name, svc in services.items()
                           for f in clear_findings(f"service {name} (compose)", svc.get("environment"),
                                                   svc.get("command"), svc.get("entrypoint")))
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("SEC-02")
def test_running_credentials_not_in_the_clear(engine, evidence):
    running = swarm_objects.services(engine)
    evidence.source(f"GET /services (stack {engine.stack}) on {engine.url}")
    spec = {s.name: (s.spec.get("TaskTemplate") or {}).get("ContainerSpec") or {} for s in running}
    evidence.measure(services=sorted(spec), environment={n: sorted(_env_names(c.get("Env"))) for n, c in spec.items()})
    evidence.limit(handed_over="only as Docker secrets (not in ContainerSpec Env, Command or Args)")
    evidence.require(no_services_findings(engine.stack, running))
    found = evidence.judge(f for name, c in spec.items()
                           for f in clear_findings(f"service {name} (running)", c.get("Env"), c.get("Args"),
                                                   c.get("Command")))
    assert not found, found.message


def _env_names(environment) -> list[str]:
    """Variable names only: the evidence never carries a value."""
    if isinstance(environment, dict):
        return [str(k) for k in environment]
    return [str(e).partition("=")[0] for e in environment or []]


@pytest.mark.runtime
@pytest.mark.control("SEC-02")
def test_external_secrets_deployed(target_config, declared, engine, evidence):
    policy = target_config.model.security.secrets
    expected = expected_external(declared.secrets)
    # Compose's resolved model drops declared secrets no service uses; the files still declare them.
    unused = {k: d.name for k, d in declared_secrets_in(target_config.compose_paths).items()
              if d.external and k not in declared.secrets}
    expected.update(unused)
    wanted_by = referenced({n: s.spec for n, s in declared.services.items()}, declared.secrets)
    evidence.source(f"compose config and text of {declared.files}")
    names = [s.name for s in swarm_objects.secrets(engine)]
    evidence.source(f"GET /secrets on {engine.url}")
    running = swarm_objects.services(engine)
    evidence.source(f"GET /services (stack {engine.stack}) on {engine.url}")
    prefixed = with_prefix(names, policy.prefix)
    in_use = {u.secret_name: s.name for s in running for u in s.secrets}
    evidence.measure(declared_external=sorted(expected.values()), declared_but_unused=sorted(unused.values()),
                     prefixed_found=prefixed,
                     prefixed_count=len(prefixed), referenced_by_services=wanted_by,
                     used_by_running_services=in_use)
    evidence.limit(prefix=f"{policy.prefix}_", expected_count=policy.expected_count)

    evidence.require(no_services_findings(engine.stack, running))
    found = evidence.judge(secrets_findings(engine.stack, expected, names, policy.prefix, policy.expected_count,
                                            wanted_by, in_use))
    assert not found, found.message
