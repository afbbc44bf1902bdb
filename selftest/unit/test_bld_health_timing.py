"""BLD-05's clocks: first healthy moment from the health log, the swarm task or engine events,
each only when conclusive; and whether a declared healthcheck can pass within the limit."""

import datetime as dt

import pytest

from nestgate.probes.readers.health_log import (
    DeclaredCheck,
    EngineEvent,
    ProbeEntry,
    TaskStatus,
    compose_check,
    from_events,
    from_health_log,
    from_task,
    go_duration_s,
    image_check,
)
from nestgate.probes.readers.timestamps import parse_time
from nestgate.rules.bld05_healthchecks import declared_problem

T0 = dt.datetime(2026, 11, 26, 12, 0, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def probe(start: float, code: int) -> ProbeEntry:
    return ProbeEntry(at(start), at(start + 0.1), code)


@pytest.mark.parametrize(("text", "seconds"), [("3s", 3), ("1m30s", 90), ("500ms", 0.5), ("1.5s", 1.5),
                                                ("2h0m0s", 7200), ("0s", 0), ("1m0.25s", 60.25)])
def test_go_durations(text, seconds):
    assert go_duration_s(text) == pytest.approx(seconds)


def test_bad_duration_is_refused():
    with pytest.raises(ValueError):
        go_duration_s("3 seconds")


def test_engine_timestamps_with_nanoseconds_and_zero_time():
    assert parse_time("2026-11-26T12:00:04.207737713Z") == at(4.207737)
    assert parse_time("2026-11-26T13:00:04+01:00") == at(4)
    assert parse_time("0001-01-01T00:00:00Z") is None and parse_time("") is None


def test_an_unrotated_health_log_gives_the_first_passing_probe():
    timing = from_health_log(T0, [probe(3, 1), probe(6, 0), probe(9, 0)])
    assert timing.seconds == pytest.approx(6.1) and "health log" in timing.source


def test_a_full_health_log_may_have_lost_the_first_pass():
    assert from_health_log(T0, [probe(s, 0) for s in (30, 33, 36, 39, 42)]) is None
    assert from_health_log(T0, [probe(-5, 0), probe(3, 0)]) is None  # holds probes of an earlier start
    assert from_health_log(T0, [probe(3, 1)]) is None  # never passed yet


def test_the_swarm_task_turns_running_when_the_engine_reports_healthy():
    assert from_task(T0, TaskStatus("running", at(43.2))).seconds == pytest.approx(43.2)
    assert from_task(T0, TaskStatus("starting", at(1))) is None
    assert from_task(T0, TaskStatus("running", at(-1))) is None and from_task(T0, None) is None


def test_events_count_only_while_the_start_is_still_buffered():
    events = [EngineEvent("start", at(0.004)), EngineEvent("health_status: unhealthy", at(3)),
              EngineEvent("health_status: healthy", at(9.5)), EngineEvent("health_status: healthy", at(60))]
    assert from_events(T0, events).seconds == pytest.approx(9.5)
    assert from_events(T0, events[1:]) is None  # the start fell out of the daemon's buffer


def test_declared_healthchecks():
    limit = 30.0
    assert declared_problem(compose_check({"test": ["CMD", "true"], "interval": "3s"}), limit) == ""
    assert declared_problem(compose_check({"disable": True}), limit) == "has its healthcheck disabled"
    assert declared_problem(compose_check({"test": ["NONE"]}), limit) == "has its healthcheck disabled"
    assert declared_problem(None, limit) == "declares no healthcheck"
    # Docker's default interval is 30 s: the first probe cannot come before the limit.
    assert "interval is 30 s" in declared_problem(compose_check({"test": ["CMD", "true"]}), limit)
    assert "interval is 90 s" in declared_problem(compose_check({"test": ["CMD", "x"], "interval": "1m30s"}), limit)


def test_image_healthchecks_in_nanoseconds():
    assert image_check({"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 5_000_000_000}) == DeclaredCheck(
        ["CMD-SHELL", "curl -f localhost"], 5.0)
    assert image_check({}) is None
    assert image_check({"Test": ["NONE"]}).disabled

