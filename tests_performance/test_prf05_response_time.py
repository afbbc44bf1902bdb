"""PRF-05 — Target: <2s response time (`curl -w "@curl-format.txt" http://localhost/api/health`).

p95 (nearest rank) and max of N sequential requests per configured endpoint, each on a new
connection as curl makes it. A timeout, a refused connection or a non-2xx answer counts as a
failed request. Once enough requests are over the limit that p95 and max over all N must be too,
the remaining requests are not sent (a hanging endpoint would otherwise cost N timeouts).
"""

import pytest

from nestgate.gate.params import each_response_endpoint
from nestgate.probes.traffic import timed_get
from nestgate.rules.prf05_response_time import LatencyRun

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
    sent, failures = len(run.attempts), run.failures()
    p95, worst = run.percentile_s(), run.max_s()
    evidence.measure(requests=sent, planned=run.planned, p95_s=round(p95, 3), max_s=round(worst, 3),
                     times_s=[round(a.elapsed_s, 3) for a in run.attempts],
                     statuses=[a.status for a in run.attempts], failed=len(failures))
    problems = []
    if failures:
        first = failures[0]
        problems.append(f"{len(failures)} of {sent} requests failed ({first.why()})")
    if p95 >= run.limit_s or worst >= run.limit_s:
        stopped = (f" (stopped after {sent} of {run.planned}: p95 and max over all are over)"
                   if sent < run.planned else "")
        problems.append(f"p95 {p95:.2f} s, max {worst:.2f} s over {sent} requests, limit {run.limit_s:g} s{stopped}")
    assert not problems, f"GET {url}: " + "; ".join(problems)
