"""PRF-03 — Database connection pooling operational.

The pool service (MediaNest: the backend, `app`) sets a pool limit: the first configured variable
set in its environment, else its DATABASE_URL's `connection_limit`. During a burst of concurrent
requests that touch the database, its connections in PostgreSQL's `pg_stat_activity` (counted by
client address: the service's containers' IPs) stay at or under the limit times its running
replicas, and every request of the burst is answered 2xx. PostgreSQL is read with its own psql
inside its container (the data network publishes nothing; see nestgate/probes/data_clients.py).
"""

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.credentials import read_secret
from nestgate.probes.data_clients import PgSession
from nestgate.probes.readers.inspect import container_ips, env_of
from nestgate.probes.readers.pg_activity import ACTIVITY_SQL, parse_activity
from nestgate.probes.traffic import burst, timed_get
from nestgate.rules.prf03_pooling import pool_limit

pytestmark = [pytest.mark.performance]


def _declared_setting(declared, target_config):
    perf = target_config.model.performance
    spec = declared.services.get(perf.pool_service)
    files = ", ".join(target_config.model.target.compose_files)
    assert spec is not None, f"pool service {perf.pool_service} is not declared in {files}"
    env = {k: None if v is None else str(v) for k, v in (spec.get("environment") or {}).items()}
    return pool_limit(env, perf.pool_limit_vars, perf.pool_url_var)


@pytest.mark.declared
@pytest.mark.control("PRF-03")
def test_pool_limit_declared(declared, target_config, evidence):
    perf = target_config.model.performance
    evidence.source(f"compose config of {', '.join(target_config.model.target.compose_files)}: "
                    f"services.{perf.pool_service}.environment")
    evidence.limit(pool_limit="set, 1 or more", from_vars=perf.pool_limit_vars, or_url=perf.pool_url_var)
    setting = _declared_setting(declared, target_config)
    evidence.measure(pool_limit=setting.limit, source=setting.source)
    assert setting.limit, f"service {perf.pool_service}: {setting.problem}"


@pytest.mark.runtime
@pytest.mark.control("PRF-03")
def test_pool_holds_under_burst(engine, http, declared, target_config, evidence):
    target, perf, db = target_config.model.target, target_config.model.performance, target_config.model.infra.database
    service = perf.pool_service
    containers = [c for c in engine.running() if c.service == service]
    assert containers, f"service {service}: no running container in stack {target.stack}"
    settings = {c.name: pool_limit(env_of(c.inspect), perf.pool_limit_vars, perf.pool_url_var) for c in containers}
    declared_setting = _declared_setting(declared, target_config)
    ips = set().union(*(container_ips(c.inspect) for c in containers))

    pg = PgSession.open(engine, db.service, db.port, db.user, read_secret(db.password, target_config),
                        target.call_timeout_s)
    evidence.source(f"GET /containers/{{id}}/json (Config.Env, addresses) of {service} on {engine.url}")
    evidence.source(f"{perf.pool_burst_requests} x GET {http.url(perf.pool_burst_path)}, "
                    f"{perf.pool_burst_concurrency} at once")
    evidence.source(f"psql pg_stat_activity via {pg.describe(db.dbname)}; password: {db.password.describe()}")

    def connections() -> int:
        result = pg.psql(db.dbname, ACTIVITY_SQL)
        if not result.ok:
            raise EvidenceUnavailable(f"pg_stat_activity via {pg.describe(db.dbname)}: {result.reason()}")
        activity = parse_activity(result.text(), ips)
        if activity.hidden_users:
            raise EvidenceUnavailable(
                f"pg_stat_activity hides the connections of {', '.join(activity.hidden_users)} from {db.user}: "
                "connect as the app's user or a member of pg_read_all_stats")
        return activity.from_service

    before = connections()
    run = burst(lambda: timed_get(http, perf.pool_burst_path, target.call_timeout_s),
                perf.pool_burst_requests, perf.pool_burst_concurrency, connections)
    peak = max([before, *run.polls])
    limits = {s.limit for s in settings.values()}
    limit = next(iter(limits)) if len(limits) == 1 else None
    allowed = limit * len(containers) if limit else None
    evidence.limit(connections_at_most=allowed, replicas=len(containers), failed_requests=0)
    evidence.measure(pool_limit={name: s.source or None for name, s in settings.items()},
                     declared=declared_setting.source or None, connections_before=before,
                     connections_polled=run.polls, connections_peak=peak, burst_seconds=round(run.seconds, 2),
                     answers=run.outcomes())

    held = (f"a burst of {perf.pool_burst_requests} requests ({perf.pool_burst_concurrency} at once) to "
            f"{perf.pool_burst_path} held up to {peak} connections from {service} in pg_stat_activity")
    unset = [f"{s.problem} (container {name})" for name, s in settings.items() if not s.limit]
    assert not unset, f"service {service}: {'; '.join(unset)}; {held}"
    assert limit is not None, (f"service {service}: its containers run with different pool limits "
                               f"({', '.join(f'{n}: {s.source}' for n, s in settings.items())}); {held}")
    assert declared_setting.limit == limit, (
        f"service {service}: pool limit declared {declared_setting.source or declared_setting.problem}, "
        f"in force {next(iter(settings.values())).source}")
    problems = []
    if peak > allowed:
        problems.append(f"{held}, over the pool limit {limit} x {len(containers)} replica(s) = {allowed} "
                        f"({next(iter(settings.values())).source})")
    failures = run.failures()
    if failures:
        first = failures[0]
        problems.append(f"{len(failures)} of {len(run.attempts)} burst requests to {perf.pool_burst_path} failed "
                        f"({run.outcomes()}; first: {first.why()})")
    assert not problems, f"service {service}: " + "; ".join(problems)
