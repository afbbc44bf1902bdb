"""PRF-05 arithmetic: nearest-rank p95 and when the verdict can no longer change."""

import pytest

from nestgate.probes.traffic import Attempt
from nestgate.rules.prf05_response_time import LatencyRun, nearest_rank, rank


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
    assert _run([0.01] * 20).passed()
    one_slow = _run([0.01] * 19 + [2.5])
    assert not one_slow.passed()
    assert one_slow.percentile_s() < 2.0 and one_slow.max_s() == 2.5
    assert not one_slow.decided()  # p95 could still hold: every planned request is sent


def test_decided_after_two_bad_of_twenty():
    run = _run([2.5])
    assert not run.decided()
    run.add(Attempt(3.0, 200))
    assert run.decided()
    assert run.percentile_s() >= 2.0


def test_exactly_the_limit_is_not_under_it():
    assert not _run([2.0] * 20).passed()


def test_errors_and_non_2xx_are_failures_even_when_fast():
    run = _run([0.01] * 20, statuses={3: 503})
    assert [a.status for a in run.failures()] == [503]
    assert not run.passed()
    timed_out = Attempt(5.0, None, "GET x: no answer within 5 s")
    assert not timed_out.ok and timed_out.why() == "GET x: no answer within 5 s"
    assert Attempt(0.1, 503, detail='{"status": "degraded"}').why() == 'HTTP 503: {"status": "degraded"}'
    assert Attempt(0.1, 404).why() == "HTTP 404"


def test_an_unfinished_run_does_not_pass():
    assert not _run([0.01] * 5).passed()
