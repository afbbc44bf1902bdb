"""The watch schedule (pure): durations, "INTERVAL:DURATION,..." specs, due times, the next round."""

import pytest

from nestgate.config.schedule import Phase, parse_duration, parse_schedule
from nestgate.watch.schedule import due_times, next_due


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90.0), ("5m", 300.0), ("2h", 7200.0), ("1d", 86400.0),
                                               (" 1.5m ", 90.0)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "5x", "-5m", "0s", "m5", "5 minutes"])
def test_bad_durations_name_the_text(text):
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


def test_the_procedures_schedule():
    assert parse_schedule("5m:2h,15m:22h") == [Phase(300.0, 7200.0), Phase(900.0, 79200.0)]


@pytest.mark.parametrize(("text", "problem"), [("5m", "not INTERVAL:DURATION"), ("5m:2h,15m", "'15m'"),
                                               ("2h:5m", "interval is longer than the duration"),
                                               ("5m:xx", "'xx' is not a duration")])
def test_bad_schedules_name_the_part(text, problem):
    with pytest.raises(ValueError, match=problem):
        parse_schedule(text)


def test_due_times_follow_each_phase_in_turn():
    times = due_times(parse_schedule("5m:2h,15m:22h"), start=1000.0)
    assert len(times) == 24 + 88
    assert times[:2] == [1000.0, 1300.0]
    assert times[23] == 1000.0 + 115 * 60  # last of the 5-minute phase
    assert times[24] == 1000.0 + 7200.0     # the 15-minute phase starts after 2 h
    assert times[-1] == 1000.0 + 7200.0 + 87 * 900.0


def test_next_due_runs_the_first_round_at_once_then_on_schedule():
    phases = parse_schedule("5m:1h")
    assert next_due(phases, 0.0, now=0.0, last_round=None) == 0.0
    assert next_due(phases, 0.0, now=10.0, last_round=0.0) == 300.0


def test_a_restarted_watcher_runs_one_missed_round_at_once_not_all_of_them():
    phases = parse_schedule("5m:1h")
    # last round at 300, watcher down until 1000 (rounds due 600 and 900 missed): one round now
    assert next_due(phases, 0.0, now=1000.0, last_round=300.0) == 1000.0
    # after that round (at 1000) the next is the next due time, not a replay of 600/900
    assert next_due(phases, 0.0, now=1001.0, last_round=1000.0) == 1200.0


def test_the_schedule_ends():
    phases = parse_schedule("5s:20s")
    assert next_due(phases, 0.0, now=20.0, last_round=15.0) is None
    # no round left before the end: the end itself (the watch keeps sampling until then)
    assert next_due(phases, 0.0, now=16.0, last_round=15.0) == 20.0
    assert next_due(parse_schedule("10m:10m"), 0.0, now=15.0, last_round=0.0) == 600.0
    assert next_due(phases, 0.0, now=12.0, last_round=10.0) == 15.0
