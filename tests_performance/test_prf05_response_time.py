"""PRF-05 — Target: <2s response time (`curl -w "@curl-format.txt" http://localhost/api/health`).

p95 (nearest rank) and max of N sequential requests per configured endpoint, each on a new
connection as curl makes it. A timeout, a refused connection or a non-2xx answer counts as a
failed request. Once enough requests are over the limit that p95 and max over all N must be too,
the remaining requests are not sent (a hanging endpoint would otherwise cost N timeouts).
"""

import pytest

from nestgate.gate.params import each_response_endpoint
from nestgate.probes.traffic import timed_get
from nestgate.rules.prf05_response_time import LatencyRun, response_findings

pytestmark = [pytest.mark.performance, pytest.mark.runtime]


@pytest.mark.control("PRF-05", endpoint=each_response_endpoint)
def test_response_time_under_limit(endpoint, http, target_config, evidence):
    perf = target_config.model.performance
    url = http.url(endpoint)
    run = LatencyRun(planned=perf.response_requests, limit_s=perf.response_time_limit_s)
    evidence.source(f"{run.planned} sequential GET {url}, Connection: close, "
                    f"timeout {perf.response_timeout_s:g} s each")
    evidence.limit(p95_s_under=run.limit_s, max_s_under=run.limit_s, failed_requests=0)
    while len(run.attempts) < run.planned and not run.decided():
        run.add(timed_get(http, endpoint, perf.response_timeout_s))
    evidence.measure(requests=len(run.attempts), planned=run.planned, p95_s=round(run.percentile_s(), 3),
                     max_s=round(run.max_s(), 3), times_s=[round(a.elapsed_s, 3) for a in run.attempts],
                     statuses=[a.status for a in run.attempts], failed=len(run.failures()))
    found = evidence.judge(response_findings(url, run))
    assert not found, found.message
