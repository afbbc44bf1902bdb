"""INF-03 — Database connectivity confirmed across all services
(`Database connectivity confirmed across all services`).

PostgreSQL must accept a connection with the application's credentials and answer `SELECT 1`.
Redis must answer PING with its password. Credentials come from the env variables or secret files
the config names. Both clients are the servers' own (psql, redis-cli), run inside the servers'
containers over TCP to their overlay addresses: the data network publishes nothing to the host
(see nestgate/probes/container_exec.py). Each app service must report its own database reachable
in its health JSON.
"""

import pytest

from nestgate.gate.params import each_app_report
from nestgate.probes.credentials import read_secret
from nestgate.probes.data_clients import PgSession, redis_ping
from nestgate.rules.inf03_database import MISSING, is_healthy, json_at, status_of

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-03")
def test_postgres_answers_select_1(target_config, engine, evidence):
    db = target_config.model.infra.database
    password = read_secret(db.password, target_config)
    pg = PgSession.open(engine, db.service, db.port, db.user, password, target_config.model.target.call_timeout_s)
    evidence.source(f"psql -c 'SELECT 1' to {pg.describe(db.dbname)} via the engine's exec API")
    evidence.source(f"password: {db.password.describe()}")
    evidence.limit(answer="1")
    result = pg.psql(db.dbname, "SELECT 1")
    answer = result.text().strip()
    evidence.measure(answer=answer, exit_code=result.exit_code, seconds=round(result.duration_s, 3))
    assert result.ok and answer == "1", (
        f"PostgreSQL service {db.service}: {pg.describe(db.dbname)} did not answer SELECT 1 "
        f"(exit {result.exit_code}, answer {answer!r}): {result.reason()}")


@pytest.mark.control("INF-03")
def test_redis_answers_ping_with_password(target_config, engine, evidence):
    rd = target_config.model.infra.redis
    password = read_secret(rd.password, target_config)
    ping = redis_ping(engine, rd.service, rd.port, password, target_config.model.target.call_timeout_s)
    where = f"{ping.host}:{ping.port} (network {ping.network}, from inside container {ping.container})"
    evidence.source(f"redis-cli PING to {where} via the engine's exec API; password: {rd.password.describe()}")
    evidence.limit(reply="PONG")
    evidence.measure(reply=ping.reply, exit_code=ping.exit_code)
    said = f"answered {ping.reply!r}" + (f" (redis-cli: {ping.reason})" if ping.reason != ping.reply else "")
    assert ping.reply == "PONG", (
        f"Redis service {rd.service} at {where} did not answer PING with the password from "
        f"{rd.password.describe()}: {said}")


@pytest.mark.control("INF-03", service=each_app_report)
def test_app_reports_database_reachable(service, target_config, http, evidence):
    infra = target_config.model.infra
    report = next(r for r in infra.app_reports if r.service == service)
    answer = http.get(report.path)
    evidence.source(f"GET {answer.url}: JSON field {report.field}")
    evidence.limit(status_one_of=infra.healthy_statuses)
    body = answer.json()
    node = json_at(body, report.field) if body is not None else MISSING
    status = status_of(node, infra.status_field) if node is not MISSING else None
    evidence.measure(http_status=answer.status, database_status=status)
    assert body is not None, (
        f"app service {report.service}: GET {answer.url} answered HTTP {answer.status} without a JSON body "
        f"({answer.excerpt(80)!r}): no database report")
    assert status is not None, (
        f"app service {report.service}: GET {answer.url} (HTTP {answer.status}) has no status at "
        f"{report.field!r}: no database report")
    assert is_healthy(status, infra.healthy_statuses), (
        f"app service {report.service} reports its database {status!r} at {report.field} of GET {answer.url} "
        f"(HTTP {answer.status}); expected one of {', '.join(infra.healthy_statuses)}")
