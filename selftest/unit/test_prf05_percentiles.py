"""PRF-05 rules: nearest-rank p95, when the verdict can no longer change, and the verdict's findings."""

import pytest

from nestgate.probes.traffic import Attempt
from nestgate.rules.findings import message
from nestgate.rules.prf05_response_time import LatencyRun, nearest_rank, rank, response_findings

URL = "http://t/api/health"


def test_nearest_rank_p95_of_twenty_is_the_nineteenth():
    values = [float(i) for i in range(1, 21)]
    assert rank(20, 95) == 19
    assert nearest_rank(values, 95) == 19.0
    assert nearest_rank(values, 100) == 20.0
    assert nearest_rank([3.0], 95) == 3.0
    with pytest.raises(ValueError):
        nearest_rank([], 95)


def _run(times, planned=20, limit=2.0, statuses=None):
    run = LatencyRun(planned=planned, limit_s=limit)
    for i, t in enumerate(times):
        run.add(Attempt(t, (statuses or {}).get(i, 200)))
    return run


def test_all_fast_passes_and_one_slow_request_fails_on_max_only():
    assert response_findings(URL, _run([0.01] * 20)) == []
    one_slow = _run([0.01] * 19 + [2.5])
    [f] = response_findings(URL, one_slow)
    assert (f.subject, f.property, f.measured, f.expected) == (
        f"GET {URL}", "response time", {"p95_s": 0.01, "max_s": 2.5}, "p95 and max under 2 s")
    assert str(f) == f"GET {URL}: p95 0.01 s, max 2.50 s over 20 requests, limit 2 s"
    assert not one_slow.decided()  # p95 could still hold: every planned request is sent


def test_decided_after_two_bad_of_twenty_and_the_finding_says_it_stopped():
    run = _run([2.5])
    assert not run.decided()
    run.add(Attempt(3.0, 200))
    assert run.decided()
    assert run.percentile_s() >= 2.0
    [f] = response_findings(URL, run)
    assert f.sentence == ("p95 3.00 s, max 3.00 s over 2 requests, limit 2 s "
                          "(stopped after 2 of 20: p95 and max over all are over)")


def test_exactly_the_limit_is_not_under_it():
    [f] = response_findings(URL, _run([2.0] * 20))
    assert f.measured == {"p95_s": 2.0, "max_s": 2.0}


def test_errors_and_non_2xx_are_failures_even_when_fast():
    run = _run([0.01] * 20, statuses={3: 503, 7: 502})
    assert [a.status for a in run.failures()] == [503, 502]
    [f] = response_findings(URL, run)
    assert (f.subject, f.property, f.measured, f.expected) == (f"GET {URL}", "failed requests", 2, 0)
    assert str(f) == f"GET {URL}: 2 of 20 requests failed (HTTP 503)"
    timed_out = Attempt(5.0, None, "GET x: no answer within 5 s")
    assert not timed_out.ok and timed_out.why() == "GET x: no answer within 5 s"
    assert Attempt(0.1, 503, detail='{"status": "degraded"}').why() == 'HTTP 503: {"status": "degraded"}'
    assert Attempt(0.1, 404).why() == "HTTP 404"


def test_failures_and_slowness_are_both_reported_under_one_subject():
    run = LatencyRun(planned=20, limit_s=0.2)
    run.add(Attempt(0.5, None, "GET x: no answer within 0.5 s"))
    run.add(Attempt(0.5, None, "GET x: no answer within 0.5 s"))
    found = response_findings(URL, run)
    assert [f.property for f in found] == ["failed requests", "response time"]
    assert message(found) == (f"GET {URL}: 2 of 2 requests failed (GET x: no answer within 0.5 s); p95 0.50 s, "
                              "max 0.50 s over 2 requests, limit 0.2 s (stopped after 2 of 20: p95 and max over "
                              "all are over)")


def test_an_unfinished_run_does_not_pass():
    [f] = response_findings(URL, _run([0.01] * 5))
    assert (f.property, f.measured, f.expected) == ("requests sent", 5, 20)
    assert f.sentence == "only 5 of 20 requests sent"
    [none] = response_findings(URL, _run([]))
    assert (none.measured, none.sentence) == (0, "no request sent of 20 planned")
