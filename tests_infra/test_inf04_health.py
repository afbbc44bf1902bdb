"""INF-04 — Health monitoring endpoints responsive (`Health monitoring endpoints responsive`).

Every configured health endpoint must answer 2xx within its own timeout, through the target's
base URL. A JSON body that carries a status field must say healthy (`healthy`, `ok`, `up`, ...,
as configured): a 200 that says "degraded" fails. A body with no status field, or not JSON,
rests on the status code.
"""

import time

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.gate.params import each_health_endpoint
from nestgate.rules.inf04_health import body_status, health_findings, unresponsive

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-04", path=each_health_endpoint)
def test_health_endpoint_answers_healthy(path, target_config, http, evidence):
    infra = target_config.model.infra
    endpoint = next(e for e in infra.health_endpoints if e.path == path)
    url = http.url(endpoint.path)
    evidence.source(f"GET {url}")
    evidence.limit(status_code="2xx", within_s=endpoint.timeout_s, body_status_one_of=infra.healthy_statuses)
    started = time.monotonic()
    try:
        answer = http.get(endpoint.path, timeout_s=endpoint.timeout_s)
    except EvidenceUnavailable as exc:
        # No answer is the finding itself: the endpoint is not responsive.
        waited = time.monotonic() - started
        evidence.measure(answered=False, waited_s=round(waited, 3), error=str(exc))
        evidence.fail(unresponsive(endpoint.path, waited, endpoint.timeout_s, str(exc)))
    status = body_status(answer.json(), infra.status_field)
    evidence.measure(answered=True, http_status=answer.status, seconds=round(answer.elapsed_s, 3), body_status=status)
    found = evidence.judge(health_findings(endpoint.path, answer.status, answer.elapsed_s, endpoint.timeout_s,
                                           answer.excerpt(120), status, infra.status_field, infra.healthy_statuses))
    assert not found, found.message
