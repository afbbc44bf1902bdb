"""PRF-03 rules: where the pool limit comes from (the database URL never leaks), and whether the
pool held under a burst."""

import pytest

from nestgate.probes.readers.inspect import container_ips, env_of
from nestgate.probes.traffic import Attempt, Burst
from nestgate.rules.prf03_pooling import (
    PoolLimit,
    burst_findings,
    common_limit,
    declared_pool_limit,
    pool_limit,
    setting_findings,
)

URL = "postgresql://medianest:s3cr3t-pw@postgres:5432/medianest"


@pytest.mark.parametrize(("env", "expected"), [
    ({"DB_POOL_MAX": "10"}, PoolLimit(10, "DB_POOL_MAX=10", "")),
    ({"DB_POOL_MAX": "10", "DATABASE_URL": URL + "?connection_limit=5"}, PoolLimit(10, "DB_POOL_MAX=10", "")),
    ({"DATABASE_URL": URL + "?schema=public&connection_limit=5"},
     PoolLimit(5, "DATABASE_URL connection_limit=5", "")),
    ({"DB_POOL_MAX": "0"}, PoolLimit(None, "DB_POOL_MAX=0", "DB_POOL_MAX=0 sets no limit (must be 1 or more)")),
    ({"DB_POOL_MAX": "ten"}, PoolLimit(None, "DB_POOL_MAX", "DB_POOL_MAX is 'ten', not a whole number")),
    ({"DATABASE_URL": URL}, PoolLimit(None, "", "no pool limit: DB_POOL_MAX unset and DATABASE_URL has no "
                                                "connection_limit")),
    ({}, PoolLimit(None, "", "no pool limit: DB_POOL_MAX unset and DATABASE_URL unset")),
])
def test_pool_limit_sources(env, expected):
    got = pool_limit(env, ["DB_POOL_MAX"], "DATABASE_URL")
    assert got == expected
    assert "s3cr3t" not in repr(got)


def test_running_environment_and_addresses_from_inspect():
    inspect = {"Config": {"Env": ["DB_POOL_MAX=10", "DATABASE_URL=" + URL, "EMPTY="]},
               "NetworkSettings": {"Networks": {"edge": {"IPAddress": "10.0.1.5"},
                                                "data": {"IPAddress": "10.0.2.7"}, "none": {"IPAddress": ""}}}}
    assert env_of(inspect) == {"DB_POOL_MAX": "10", "DATABASE_URL": URL, "EMPTY": ""}
    assert container_ips(inspect) == {"10.0.1.5", "10.0.2.7"}
    assert env_of({}) == {} and container_ips({}) == set()


def test_nothing_configured_says_so():
    assert pool_limit({"DB_POOL_MAX": "5"}, [], "").problem == "no pool limit: no pool variable or URL configured"
    assert pool_limit({}, [], "DATABASE_URL").problem == "no pool limit: DATABASE_URL unset"


def test_declared_environment_may_hold_numbers_and_nulls():
    assert declared_pool_limit({"DB_POOL_MAX": 10}, ["DB_POOL_MAX"], "DATABASE_URL") == \
        PoolLimit(10, "DB_POOL_MAX=10", "")
    assert declared_pool_limit({"DB_POOL_MAX": None}, ["DB_POOL_MAX"], "DATABASE_URL").problem == \
        "no pool limit: DB_POOL_MAX unset and DATABASE_URL unset"
    assert declared_pool_limit(None, ["DB_POOL_MAX"], "").limit is None


def test_setting_findings():
    assert setting_findings("app", PoolLimit(10, "DB_POOL_MAX=10", "")) == []
    [f] = setting_findings("app", PoolLimit(None, "DB_POOL_MAX=0", "DB_POOL_MAX=0 sets no limit (must be 1 or more)"))
    assert (f.subject, f.property, f.measured, f.expected) == ("service app", "pool limit", "DB_POOL_MAX=0",
                                                               "set, 1 or more")
    assert str(f) == "service app: DB_POOL_MAX=0 sets no limit (must be 1 or more)"
    [unset] = setting_findings("app", pool_limit({}, ["DB_POOL_MAX"], "DATABASE_URL"))
    assert unset.measured is None


TEN = PoolLimit(10, "DB_POOL_MAX=10", "")
ZERO = PoolLimit(None, "DB_POOL_MAX=0", "DB_POOL_MAX=0 sets no limit (must be 1 or more)")
HELD = "a burst of 4 requests (2 at once) to /health/ready held up to {} connections from app in pg_stat_activity"


def _burst(*statuses):
    return Burst([Attempt(0.1, s, "" if s else "GET x: refused") for s in statuses], [1, 2], 0.5)


def test_common_limit():
    assert common_limit({"a": TEN, "b": TEN}) == 10
    assert common_limit({"a": TEN, "b": PoolLimit(5, "DB_POOL_MAX=5", "")}) is None
    assert common_limit({"a": ZERO}) is None


def test_a_pool_that_held_with_every_answer_2xx_has_no_findings():
    assert burst_findings("app", {"app.1": TEN, "app.2": TEN}, TEN, 20, _burst(200, 200, 200, 200),
                          "/health/ready", 2) == []


def test_an_unset_limit_is_reported_alone_with_what_the_burst_held():
    [f] = burst_findings("app", {"app.1": ZERO, "app.2": TEN}, TEN, 30, _burst(200, 503, 200, 200),
                         "/health/ready", 2)
    assert (f.subject, f.property, f.measured, f.expected) == (
        "service app", "pool limit in force", {"app.1": "DB_POOL_MAX=0", "app.2": "DB_POOL_MAX=10"},
        "set, 1 or more, on every container")
    assert str(f) == ("service app: DB_POOL_MAX=0 sets no limit (must be 1 or more) (container app.1); "
                      + HELD.format(30))


def test_different_limits_then_declared_against_in_force():
    five = PoolLimit(5, "DB_POOL_MAX=5", "")
    [differ] = burst_findings("app", {"app.1": TEN, "app.2": five}, TEN, 3, _burst(200, 200, 200, 200),
                              "/health/ready", 2)
    assert (differ.property, differ.expected) == ("pool limit in force", "the same on every container")
    assert differ.sentence == ("its containers run with different pool limits (app.1: DB_POOL_MAX=10, "
                               "app.2: DB_POOL_MAX=5); " + HELD.format(3))
    [drift] = burst_findings("app", {"app.1": TEN}, five, 3, _burst(200, 200, 200, 200), "/health/ready", 2)
    assert (drift.property, drift.measured, drift.expected) == ("pool limit declared", "DB_POOL_MAX=5",
                                                                "DB_POOL_MAX=10")
    assert str(drift) == "service app: pool limit declared DB_POOL_MAX=5, in force DB_POOL_MAX=10"
    [undeclared] = burst_findings("app", {"app.1": TEN}, ZERO, 3, _burst(200, 200, 200, 200), "/health/ready", 2)
    assert undeclared.sentence == ("pool limit declared DB_POOL_MAX=0, in force DB_POOL_MAX=10")
    missing = PoolLimit(None, "", "no pool limit: DB_POOL_MAX unset")
    [absent] = burst_findings("app", {"app.1": TEN}, missing, 3, _burst(200, 200, 200, 200), "/health/ready", 2)
    assert absent.measured is None
    assert absent.sentence == "pool limit declared no pool limit: DB_POOL_MAX unset, in force DB_POOL_MAX=10"


def test_peak_over_limit_times_replicas_and_failed_requests_are_both_reported():
    settings = {"app.1": TEN, "app.2": TEN}
    assert burst_findings("app", settings, TEN, 20, _burst(200, 200, 200, 200), "/health/ready", 2) == []
    found = burst_findings("app", settings, TEN, 21, _burst(200, 503, None, 200), "/health/ready", 2)
    assert [(f.property, f.measured, f.expected) for f in found] == [
        ("connections peak", 21, "at most 20"), ("failed burst requests", 2, 0)]
    assert [f.sentence for f in found] == [
        HELD.format(21) + ", over the pool limit 10 x 2 replica(s) = 20 (DB_POOL_MAX=10)",
        "2 of 4 burst requests to /health/ready failed ({'200': 2, '503': 1, 'no answer': 1}; first: HTTP 503)"]
    assert {f.subject for f in found} == {"service app"}
