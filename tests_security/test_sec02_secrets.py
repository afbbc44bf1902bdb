"""SEC-02 — Docker Swarm external secrets properly deployed (`docker secret ls | grep medianest | wc -l`, 9).

Every external secret the compose file declares exists in the swarm under its resolved name; the
number of secrets with the configured prefix equals the expected count; every secret a service
references exists. Evidence: names only, never values.
"""

import pytest

from nestgate.probes import swarm_objects
from nestgate.probes.compose_files import declared_secrets_in
from nestgate.rules.sec02_secrets import (
    expected_external,
    no_services_findings,
    referenced,
    secrets_findings,
    with_prefix,
)

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
