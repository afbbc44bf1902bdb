"""SEC-06 — Secret rotation procedures tested and functional.

Every prefixed secret is younger than its max age (default 90 days) and follows the versioned
naming `<prefix>_<name>_vN`. With destructive drills allowed (staging only, explicit flag:
security.rotation.allow_destructive or $NESTGATE_ALLOW_DESTRUCTIVE=1): rotate one secret to
_vN+1, update the services that use it, wait until they converge healthy, remove the old
version, and record the timings.

Without the flag the drill test is `SEC-06[dry-run]`: it plans the rotation and checks that it
could run (the secret and its users exist, every user is healthy, the new value is readable), and
its evidence says the drill did not run. Failing it would make SEC-06 impossible to pass on
production, where drills must not run; passing it silently would claim a drill that never ran.
"""

import datetime as dt
import secrets as pysecrets

import pytest

from nestgate.drills.rotation import rotate, users_of
from nestgate.gate.params import drill_modes
from nestgate.probes import swarm_objects
from nestgate.probes.credentials import read_secret
from nestgate.rules.sec02_secrets import with_prefix
from nestgate.rules.sec06_rotation import age_days, describe_age, plan_rotation, versioned

pytestmark = [pytest.mark.security, pytest.mark.runtime]


@pytest.mark.control("SEC-06")
def test_secret_ages_and_versioned_names(target_config, engine, evidence):
    policy = target_config.model.security.secrets
    now = dt.datetime.now(dt.UTC)
    found = swarm_objects.secrets(engine)
    evidence.source(f"GET /secrets on {engine.url}")
    prefixed = [s for s in found if s.name in with_prefix([x.name for x in found], policy.prefix)]
    evidence.measure(secrets={s.name: {"created": s.created.isoformat(), "age": describe_age(age_days(s.created, now))}
                              for s in prefixed})
    evidence.limit(max_age_days=policy.max_age_days, naming=f"{policy.prefix}_<name>_vN")
    assert prefixed, f"no swarm secret named {policy.prefix}_*: nothing to judge (is the stack deployed?)"
    problems = [f"secret {s.name} does not follow the versioned naming {policy.prefix}_<name>_vN"
                for s in prefixed if versioned(s.name, policy.prefix) is None]
    problems += [f"secret {s.name} is {describe_age(age_days(s.created, now))} old "
                 f"(created {s.created:%Y-%m-%d %H:%M:%S} UTC), max {describe_age(policy.max_age_days)}"
                 for s in prefixed if age_days(s.created, now) > policy.max_age_days]
    assert not problems, "; ".join(problems)


@pytest.mark.control("SEC-06", mode=drill_modes)
def test_rotation_drill(mode, target_config, engine, evidence):
    rot = target_config.model.security.rotation
    prefix = target_config.model.security.secrets.prefix
    names = [s.name for s in swarm_objects.secrets(engine)]
    services = swarm_objects.services(engine)
    evidence.source(f"GET /secrets, /services (stack {engine.stack}) on {engine.url}")
    evidence.limit(converge_timeout_s=rot.converge_timeout_s, destructive_allowed=mode == "destructive")
    try:
        plan = plan_rotation(names, prefix, rot.secret)
    except ValueError as exc:
        raise AssertionError(f"rotation of {prefix}_{rot.secret}: {exc} (security.rotation.secret)") from None
    users = users_of(services, plan.current)
    evidence.measure(mode=mode, rotate=plan.current, to=plan.next, services=[s.name for s in users])
    assert users, (f"no service of stack {engine.stack} uses {plan.current}: rotating it would prove nothing "
                   "(pick a secret in use: security.rotation.secret)")
    value = read_secret(rot.new_value, target_config).encode() if rot.new_value else \
        pysecrets.token_urlsafe(48).encode()

    if mode == "dry-run":
        unhealthy = [c.name for s in users for c in engine.running()
                     if c.service == s.name and c.health not in ("healthy", "")]
        missing = [s.name for s in users if not any(c.service == s.name for c in engine.running())]
        evidence.measure(drill="not run: destructive drills not allowed (security.rotation.allow_destructive, "
                               "$NESTGATE_ALLOW_DESTRUCTIVE)")
        assert not missing and not unhealthy, (
            f"rotation of {plan.current} could not start cleanly: services without a running container "
            f"{missing}, unhealthy containers {unhealthy}")
        return

    report = rotate(engine, plan.current, plan.next, value, rot.converge_timeout_s)
    evidence.source(f"POST /secrets/create, /services/<id>/update, DELETE /secrets/<id> on {engine.url}")
    evidence.measure(drill="run", timings_s=report.timings_s)
    assert not report.failure, f"rotation drill {plan.current} -> {plan.next} failed: {report.failure}"
