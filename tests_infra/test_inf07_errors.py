"""INF-07 — Error rate: <10 errors/minute (`Error rate: <10 errors/minute`).

Every container of the stack still on the engine is read, running or not, since a crashed task's
errors count too. Its log lines over the window come through the engine (`since`, with
timestamps). Lines matching the configured pattern are errors. "Per minute" is the peak: the most
errors within any 60-second span of the window (nestgate/rules/inf07_errors.py). The average over
the observed span is recorded beside it.
"""

import time

import pytest

from nestgate.rules.inf07_errors import (
    SPAN_S,
    average_per_minute,
    errors_by_source,
    matching,
    no_containers,
    peak,
    rate_findings,
)

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-07")
def test_error_rate_under_limit(target_config, engine, evidence):
    infra = target_config.model.infra
    now = time.time()
    since = now - infra.logs.window_min * 60
    containers = engine.containers()
    evidence.source(f"GET /containers/<id>/logs?since=<now-{infra.logs.window_min:g} min>&timestamps=1 "
                    f"on {engine.url}, every container of stack {engine.stack}")
    evidence.limit(errors_per_minute_below=infra.errors_per_minute_limit, pattern=infra.logs.pattern,
                   window_min=infra.logs.window_min,
                   rate="peak count of matching lines within any 60 s span of the window")
    if not containers:
        evidence.fail(no_containers(engine.stack))
    lines = [line for c in containers for line in engine.logs(c, since)]
    errors = matching(lines, infra.logs.pattern)
    top = peak([e.timestamp for e in errors], SPAN_S)
    observed_s = now - max(since, min((line.timestamp for line in lines), default=now))
    evidence.measure(containers=len(containers), lines=len(lines), error_lines=len(errors),
                     errors_by_service=errors_by_source(errors), peak_per_minute=top.count,
                     peak_span_start=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(top.start)) if top.count else None,
                     average_per_minute=round(average_per_minute(len(errors), observed_s), 2),
                     observed_min=round(observed_s / 60, 1))
    found = evidence.judge(rate_findings(engine.stack, errors, top, infra.errors_per_minute_limit,
                                         infra.logs.window_min))
    assert not found, found.message
