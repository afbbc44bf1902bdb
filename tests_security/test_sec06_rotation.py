"""SEC-06 — Secret rotation procedures tested and functional.

Every prefixed secret is younger than its max age (default 90 days) and follows the versioned
naming `<prefix>_<name>_vN`. Ages are judged now, or as of the end of a later day the config names
(security.secrets.ages_as_of: "will any secret be over the age on the deploy day?").

With destructive drills allowed (staging only, explicit flag: security.rotation.allow_destructive
or $NESTGATE_ALLOW_DESTRUCTIVE=1): rotate one secret to _vN+1, update the services that use it,
wait until they converge healthy, remove the old version, and record the timings.

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
from nestgate.rules.sec06_rotation import (
    age_days,
    describe_age,
    drill_findings,
    dry_run_findings,
    judged_at,
    no_secrets_findings,
    plan_findings,
    plan_rotation,
    secret_findings,
    users_findings,
)

pytestmark = [pytest.mark.security, pytest.mark.runtime]


@pytest.mark.control("SEC-06")
def test_secret_ages_and_versioned_names(target_config, engine, evidence):
    policy = target_config.model.security.secrets
    now = dt.datetime.now(dt.UTC)
    at = judged_at(now, policy.ages_as_of)  # a future deploy day's ages, when the config names one
    swarm_secrets = swarm_objects.secrets(engine)
    evidence.source(f"GET /secrets on {engine.url}")
    prefixed = [s for s in swarm_secrets if s.name in with_prefix([x.name for x in swarm_secrets], policy.prefix)]
    evidence.measure(ages_judged_at=at.isoformat(timespec="seconds"),
                     secrets={s.name: {"created": s.created.isoformat(), "age": describe_age(age_days(s.created, at))}
                              for s in prefixed})
    evidence.limit(max_age_days=policy.max_age_days, naming=f"{policy.prefix}_<name>_vN",
                   ages_as_of=policy.ages_as_of.isoformat() if policy.ages_as_of else "now")
    evidence.require(no_secrets_findings(policy.prefix, prefixed))
    found = evidence.judge(secret_findings(prefixed, policy.prefix, policy.max_age_days, now, policy.ages_as_of))
    assert not found, found.message


@pytest.mark.control("SEC-06", mode=drill_modes)
def test_rotation_drill(mode, target_config, engine, evidence):
    rot = target_config.model.security.rotation
    prefix = target_config.model.security.secrets.prefix
    names = [s.name for s in swarm_objects.secrets(engine)]
    services = swarm_objects.services(engine)
    evidence.source(f"GET /secrets, /services (stack {engine.stack}) on {engine.url}")
    evidence.limit(converge_timeout_s=rot.converge_timeout_s, destructive_allowed=mode == "destructive")
    evidence.require(plan_findings(names, prefix, rot.secret))
    plan = plan_rotation(names, prefix, rot.secret)
    users = [s.name for s in users_of(services, plan.current)]
    evidence.measure(mode=mode, rotate=plan.current, to=plan.next, services=users)
    evidence.require(users_findings(engine.stack, plan.current, users))
    value = read_secret(rot.new_value, target_config).encode() if rot.new_value else \
        pysecrets.token_urlsafe(48).encode()

    if mode == "dry-run":
        running = engine.running()
        evidence.measure(drill="not run: destructive drills not allowed (security.rotation.allow_destructive, "
                               "$NESTGATE_ALLOW_DESTRUCTIVE)")
        found = evidence.judge(dry_run_findings(plan.current, users, running))
        assert not found, found.message
        return

    report = rotate(engine, plan.current, plan.next, value, rot.converge_timeout_s)
    evidence.source(f"POST /secrets/create, /services/<id>/update, DELETE /secrets/<id> on {engine.url}")
    evidence.measure(drill="run", timings_s=report.timings_s)
    found = evidence.judge(drill_findings(plan.current, plan.next, report.failure))
    assert not found, found.message
