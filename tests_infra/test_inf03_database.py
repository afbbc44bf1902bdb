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
from nestgate.probes.data_clients import redis_ping
from nestgate.rules.inf03_database import app_report_findings, ping_findings, reported_status, select_one_findings

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-03")
def test_postgres_answers_select_1(target_config, stack, evidence):
    db = target_config.model.infra.database
    pg = stack.postgres()
    evidence.source("psql -c 'SELECT 1' via the engine's exec API")
    evidence.limit(answer="1")
    result = pg.psql(db.dbname, "SELECT 1")
    answer = result.text().strip()
    evidence.measure(answer=answer, exit_code=result.exit_code, seconds=round(result.duration_s, 3))
    found = evidence.judge(select_one_findings(db.service, pg.describe(db.dbname), result.ok, result.exit_code,
                                               answer, result.reason()))
    assert not found, found.message


@pytest.mark.control("INF-03")
def test_redis_answers_ping_with_password(target_config, engine, evidence):
    rd = target_config.model.infra.redis
    password = read_secret(rd.password, target_config)
    ping = redis_ping(engine, rd.service, rd.port, password, target_config.model.target.call_timeout_s)
    where = f"{ping.host}:{ping.port} (network {ping.network}, from inside container {ping.container})"
    evidence.source(f"redis-cli PING to {where} via the engine's exec API; password: {rd.password.describe()}")
    evidence.limit(reply="PONG")
    evidence.measure(reply=ping.reply, exit_code=ping.exit_code)
    found = evidence.judge(ping_findings(rd.service, where, ping, rd.password.describe()))
    assert not found, found.message


@pytest.mark.control("INF-03", service=each_app_report)
def test_app_reports_database_reachable(service, target_config, http, evidence):
    infra = target_config.model.infra
    report = next(r for r in infra.app_reports if r.service == service)
    answer = http.get(report.path)
    evidence.source(f"GET {answer.url}: JSON field {report.field}")
    evidence.limit(status_one_of=infra.healthy_statuses)
    body = answer.json()
    status = reported_status(body, report.field, infra.status_field)
    evidence.measure(http_status=answer.status, database_status=status)
    found = evidence.judge(app_report_findings(report.service, f"GET {answer.url}", answer.status, body,
                                               answer.excerpt(80), report.field, status, infra.healthy_statuses))
    assert not found, found.message
