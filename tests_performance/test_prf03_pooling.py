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
from nestgate.probes.readers.inspect import container_ips, env_of
from nestgate.probes.readers.pg_activity import ACTIVITY_SQL, parse_activity
from nestgate.probes.traffic import burst, timed_get
from nestgate.rules.prf03_pooling import burst_findings, common_limit, declared_pool_limit, pool_limit, setting_findings

pytestmark = [pytest.mark.performance]


def _declared_setting(stack, perf):
    environment = stack.service(perf.pool_service).get("environment")
    return declared_pool_limit(environment, perf.pool_limit_vars, perf.pool_url_var)


@pytest.mark.declared
@pytest.mark.control("PRF-03")
def test_pool_limit_declared(stack, target_config, evidence):
    perf = target_config.model.performance
    evidence.source(f"compose config of {', '.join(target_config.model.target.compose_files)}: "
                    f"services.{perf.pool_service}.environment")
    evidence.limit(pool_limit="set, 1 or more", from_vars=perf.pool_limit_vars, or_url=perf.pool_url_var)
    setting = _declared_setting(stack, perf)
    evidence.measure(pool_limit=setting.limit, source=setting.source)
    found = evidence.judge(setting_findings(perf.pool_service, setting))
    assert not found, found.message


@pytest.mark.runtime
@pytest.mark.control("PRF-03")
def test_pool_holds_under_burst(stack, http, target_config, evidence):
    target, perf, db = target_config.model.target, target_config.model.performance, target_config.model.infra.database
    service = perf.pool_service
    containers = stack.running(service)
    settings = {c.name: pool_limit(env_of(c.inspect), perf.pool_limit_vars, perf.pool_url_var) for c in containers}
    declared_setting = _declared_setting(stack, perf)
    ips = set().union(*(container_ips(c.inspect) for c in containers))

    pg = stack.postgres()
    evidence.source(f"GET /containers/{{id}}/json (Config.Env, addresses) of {service} on {stack.engine.url}")
    evidence.source(f"{perf.pool_burst_requests} x GET {http.url(perf.pool_burst_path)}, "
                    f"{perf.pool_burst_concurrency} at once")
    evidence.source(f"psql pg_stat_activity via {pg.describe(db.dbname)}")

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
    limit = common_limit(settings)
    evidence.limit(connections_at_most=limit * len(containers) if limit else None, replicas=len(containers),
                   failed_requests=0)
    evidence.measure(pool_limit={name: s.source or None for name, s in settings.items()},
                     declared=declared_setting.source or None, connections_before=before,
                     connections_polled=run.polls, connections_peak=peak, burst_seconds=round(run.seconds, 2),
                     answers=run.outcomes())
    found = evidence.judge(burst_findings(service, settings, declared_setting, peak, run, perf.pool_burst_path,
                                          perf.pool_burst_concurrency))
    assert not found, found.message
