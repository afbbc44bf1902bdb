"""INF-07 logic: the peak count of error lines within any 60-second span."""

from nestgate.probes.engine_facts import LogLine
from nestgate.rules.inf07_errors import average_per_minute, busiest_sources, matching, peak

PATTERN = r"(?i)\b(error|fatal|panic|critical)\b"


def line(t, text, container="c1"):
    return LogLine(container=container, service="app", timestamp=t, text=text)


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
