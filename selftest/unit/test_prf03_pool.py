"""PRF-03 arithmetic: where the pool limit comes from; the database URL never leaks."""

import pytest

from nestgate.probes.readers.inspect import container_ips, env_of
from nestgate.rules.prf03_pooling import PoolLimit, pool_limit

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
