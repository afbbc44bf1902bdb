"""INF-07 rules: the peak count of error lines within any 60-second span, under the limit."""

from nestgate.probes.engine_facts import LogLine
from nestgate.rules.inf07_errors import (
    average_per_minute,
    busiest_sources,
    errors_by_source,
    matching,
    no_containers,
    peak,
    rate_findings,
)

PATTERN = r"(?i)\b(error|fatal|panic|critical)\b"


def line(t, text, container="c1", service="app"):
    return LogLine(container=container, service=service, timestamp=t, text=text)


def test_pattern_matches_levels_not_substrings():
    lines = [line(0, "ERROR plex-sync"), line(1, '{"level":"error"}'), line(2, "FATAL: password auth"),
             line(3, "table error_logs ok"), line(4, "errors=0"), line(5, "status=200")]
    assert [entry.timestamp for entry in matching(lines, PATTERN)] == [0, 1, 2]


def test_peak_is_a_sliding_window_across_minute_boundaries():
    # 6 errors at 12:00:55..12:01:00 and 6 more at 12:01:01..12:01:06: calendar minutes say 6 and 6.
    times = [55 + i for i in range(12)]
    assert peak(times).count == 12
    assert peak([0, 59.9, 60, 120]).count == 2
    assert peak([]).count == 0


def test_peak_start_and_busiest_sources():
    errors = [line(10, "error", "a"), line(200, "error", "b"), line(201, "error", "b"), line(230, "error", "a")]
    top = peak([e.timestamp for e in errors])
    assert (top.count, top.start) == (3, 200)
    assert busiest_sources(errors, top.start) == [("b", 2), ("a", 1)]


def test_average_uses_at_least_one_minute():
    assert average_per_minute(30, 10) == 30
    assert average_per_minute(120, 3600) == 2


def test_under_the_limit_has_no_finding():
    errors = [line(float(i), "ERROR x") for i in range(9)]
    assert rate_findings("medianest", errors, peak([e.timestamp for e in errors]), 10, 60) == []


def test_at_the_limit_names_the_minute_the_busiest_containers_and_a_line():
    errors = [line(0.0, "ERROR early", "inf_monitor.1.a")]
    errors += [line(3600.0 + i, f"ERROR plex-sync failed {i}", "inf_app.1.x") for i in range(8)]
    errors += [line(3610.0 + i, "ERROR other", "inf_app.2.y") for i in range(3)]
    top = peak([e.timestamp for e in errors])
    [f] = rate_findings("medianest", errors, top, 10, 60)
    assert (f.subject, f.property, f.measured, f.expected) == (
        "stack medianest", "errors per minute (peak)", 11, "under 10")
    assert str(f) == ("stack medianest: 11 errors within one minute from 01:00:00Z (limit: under 10/minute; "
                      "12 in the last 60 min), from inf_app.1.x (8), inf_app.2.y (3); e.g. 'ERROR plex-sync failed 0'")


def test_errors_by_source_and_no_containers():
    errors = [line(0, "e", "a.1", "app"), line(1, "e", "x", ""), line(2, "e", "a.2", "app")]
    assert errors_by_source(errors) == {"app": 2, "x": 1}
    f = no_containers("inf-nostack")
    assert (f.subject, f.property, f.measured) == ("stack inf-nostack", "containers", 0)
    assert str(f) == "stack inf-nostack: no containers: no logs to read"
