"""SEC-02 — Docker Swarm external secrets properly deployed (`docker secret ls | grep medianest | wc -l`, 9).

Every external secret the compose file declares exists in the swarm under its resolved name; the
number of secrets with the configured prefix equals the expected count; every secret a service
references exists. Evidence: names only, never values.
"""

import pytest

from nestgate.probes import swarm_objects
from nestgate.probes.compose_files import declared_secrets_in
from nestgate.rules.sec02_secrets import expected_external, referenced, with_prefix

pytestmark = [pytest.mark.security, pytest.mark.runtime]


@pytest.mark.control("SEC-02")
def test_external_secrets_deployed(target_config, declared, engine, evidence):
    policy = target_config.model.security.secrets
    expected = expected_external(declared.secrets)
    # Compose's resolved model drops declared secrets no service uses; the files still declare them.
    unused = {k: d.name for k, d in declared_secrets_in(target_config.compose_paths).items()
              if d.external and k not in declared.secrets}
    expected.update(unused)
    wanted_by = referenced({n: s.spec for n, s in declared.services.items()}, declared.secrets)
    evidence.source(f"compose config and text of {', '.join(map(str, target_config.compose_paths))}")
    found = [s.name for s in swarm_objects.secrets(engine)]
    evidence.source(f"GET /secrets on {engine.url}")
    running = swarm_objects.services(engine)
    evidence.source(f"GET /services (stack {engine.stack}) on {engine.url}")
    prefixed = with_prefix(found, policy.prefix)
    in_use = {u.secret_name: s.name for s in running for u in s.secrets}
    evidence.measure(declared_external=sorted(expected.values()), declared_but_unused=sorted(unused.values()),
                     prefixed_found=prefixed,
                     prefixed_count=len(prefixed), referenced_by_services=wanted_by,
                     used_by_running_services=in_use)
    evidence.limit(prefix=f"{policy.prefix}_", expected_count=policy.expected_count)

    assert running, f"stack {engine.stack} has no services: deploy it before the runtime checks"
    problems = []
    missing = sorted(name for name in expected.values() if name not in found)
    if missing:
        problems.append(f"declared external secret(s) missing from the swarm: {', '.join(missing)}")
    if len(prefixed) != policy.expected_count:
        problems.append(f"{len(prefixed)} secrets named {policy.prefix}_*, expected {policy.expected_count}"
                        f" (found: {', '.join(prefixed) or 'none'})")
    unresolved = sorted(f"{name} (used by {who})" for name, who in {**wanted_by, **in_use}.items()
                        if name not in found and name not in missing)
    if unresolved:
        problems.append(f"secret(s) referenced by services but absent: {', '.join(unresolved)}")
    assert not problems, "; ".join(problems)
