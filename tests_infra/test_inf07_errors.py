"""INF-07 — Error rate: <10 errors/minute (`Error rate: <10 errors/minute`).

Every container of the stack still on the engine is read, running or not, since a crashed task's
errors count too. Its log lines over the window come through the engine (`since`, with
timestamps). Lines matching the configured pattern are errors. "Per minute" is the peak: the most
errors within any 60-second span of the window (nestgate/log_rate.py). The average over the
observed span is recorded beside it.
"""

import time

import pytest

from nestgate.rules.inf07_errors import SPAN_S, average_per_minute, busiest_sources, matching, peak

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
    assert containers, f"stack {engine.stack} has no containers: no logs to read"
    lines = [line for c in containers for line in engine.logs(c, since)]
    errors = matching(lines, infra.logs.pattern)
    top = peak([e.timestamp for e in errors], SPAN_S)
    observed_s = now - max(since, min((line.timestamp for line in lines), default=now))
    by_service: dict[str, int] = {}
    for e in errors:
        by_service[e.service or e.container] = by_service.get(e.service or e.container, 0) + 1
    evidence.measure(containers=len(containers), lines=len(lines), error_lines=len(errors),
                     errors_by_service=by_service, peak_per_minute=top.count,
                     peak_span_start=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(top.start)) if top.count else None,
                     average_per_minute=round(average_per_minute(len(errors), observed_s), 2),
                     observed_min=round(observed_s / 60, 1))

    limit = infra.errors_per_minute_limit
    assert top.count < limit, _finding(errors, top.count, top.start, limit, infra.logs.window_min)


def _finding(errors, count: int, start: float, limit: float, window_min: float) -> str:
    sources = busiest_sources(errors, start, SPAN_S)
    sample = next(e for e in errors if e.timestamp >= start)
    return (f"{count} errors within one minute from {time.strftime('%H:%M:%SZ', time.gmtime(start))} "
            f"(limit: under {limit:g}/minute; {len(errors)} in the last {window_min:g} min), from "
            f"{', '.join(f'{name} ({n})' for name, n in sources[:3])}; e.g. {sample.text[:160]!r}")
