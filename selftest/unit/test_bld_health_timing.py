"""BLD-05's clocks: first healthy moment from the health log, the swarm task or engine events,
each only when conclusive; which healthcheck a service declares and whether it can pass within the
limit; and the verdict on each running container."""

import datetime as dt

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.health import HealthState
from nestgate.probes.readers.health_log import (
    DeclaredCheck,
    EngineEvent,
    HealthTiming,
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
from nestgate.rules.bld05_healthchecks import declared_findings, effective_check, needs_image_check, timing_findings

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


def _declared(spec, origin="compose file", limit=30.0):
    return declared_findings("app", compose_check(spec) if spec is not None else None, origin, limit)


def test_declared_healthchecks():
    assert _declared({"test": ["CMD", "true"], "interval": "3s"}) == []
    [disabled] = _declared({"disable": True})
    assert (disabled.subject, disabled.property, disabled.measured) == ("service app", "healthcheck", "disabled")
    assert str(disabled) == "service app: has its healthcheck disabled (compose file)"
    assert [f.sentence for f in _declared({"test": ["NONE"]})] == ["has its healthcheck disabled (compose file)"]
    [absent] = _declared(None, origin="image medianest/app:1")
    assert (absent.property, absent.measured, absent.expected) == ("healthcheck", None, "declared and enabled")
    assert str(absent) == "service app: declares no healthcheck (image medianest/app:1)"
    # "Within 30 s" includes 30 s: Docker's default interval (30 s) puts the first probe at the limit, which passes.
    assert _declared({"test": ["CMD", "true"]}) == [] and _declared({"test": ["CMD", "true"], "interval": "30s"}) == []
    [late] = _declared({"test": ["CMD", "true"], "interval": "30.5s"})
    assert (late.property, late.measured, late.expected) == ("interval_s", 30.5, "<= 30")
    assert late.sentence == ("healthcheck interval is 30.5 s: its first probe runs 30.5 s after the start, "
                             "not within the 30 s limit (compose file)")
    assert "interval is 90 s" in _declared({"test": ["CMD", "x"], "interval": "1m30s"})[0].sentence


def test_where_the_healthcheck_comes_from():
    own = compose_check({"test": ["CMD", "true"], "interval": "3s"})
    image = DeclaredCheck(["CMD-SHELL", "curl -f localhost"], 5.0)
    assert not needs_image_check(own) and not needs_image_check(compose_check({"disable": True}))
    assert effective_check(own, "image img:1", image) == (own, "compose file")
    assert needs_image_check(None) and effective_check(None, "image img:1", image) == (image, "image img:1")
    assert effective_check(None, "Dockerfile /x/Dockerfile (stage 0)", None) == (None, "Dockerfile /x/Dockerfile "
                                                                                      "(stage 0)")
    timings_only = compose_check({"interval": "2s"})
    assert needs_image_check(timings_only)
    assert effective_check(timings_only, "image img:1", image) == (
        DeclaredCheck(image.test, 2.0), "compose timings, test from image img:1")
    assert effective_check(timings_only, "image img:1", DeclaredCheck(["NONE"], 30.0, True))[0].disabled
    assert effective_check(timings_only, "image img:1", None)[0] == DeclaredCheck([], 2.0)


def _state(status: str, started: dt.datetime | None = T0) -> HealthState:
    return HealthState("c0ffee", "medianest_monitor.1.x", status, status != "gone", started)


def _timing(status: str, seconds: float | None, limit: float = 30.0, now_s: float = 40.0):
    timing = HealthTiming(seconds, "swarm task: starting -> running") if seconds is not None else None
    return timing_findings("monitor", _state(status), timing, limit, at(now_s))


def test_a_container_healthy_within_the_limit_has_no_findings():
    assert _timing("healthy", 4.2) == [] and _timing("healthy", 30.0) == []


def test_a_container_healthy_too_late_shows_the_time_and_its_source():
    [late] = _timing("healthy", 43.21)
    assert (late.subject, late.property, late.measured, late.expected) == (
        "service monitor", "container medianest_monitor.1.x healthy_after_s", 43.21, "<= 30")
    assert str(late) == ("service monitor: container medianest_monitor.1.x became healthy 43.2 s after its start "
                         "(limit 30 s; from swarm task: starting -> running)")
    assert _timing("unhealthy", 31.0)[0].measured == 31.0  # unhealthy now, but on record as healthy too late


def test_containers_without_a_healthcheck_gone_starting_or_never_healthy():
    name = "container medianest_monitor.1.x"
    assert [f.sentence for f in _timing("", None)] == [f"{name} has no healthcheck (State.Health absent)"]
    assert [f.sentence for f in _timing("gone", None)] == [f"{name} disappeared while being checked"]
    [starting] = _timing("starting", None, now_s=31.5)
    assert (starting.measured, starting.expected) == ("starting", "healthy within 30 s")
    assert starting.sentence == f"{name} is still starting 31.5 s after its start, not healthy within 30 s"
    assert "still starting ? after" in timing_findings("monitor", _state("starting", None), None, 30.0,
                                                       at(40))[0].sentence
    assert [f.sentence for f in _timing("unhealthy", None)] == [
        f"{name} is unhealthy and the engine holds no record of it becoming healthy"]


def test_healthy_with_no_record_of_when_is_evidence_unavailable():
    with pytest.raises(EvidenceUnavailable, match="no longer records when it became healthy"):
        _timing("healthy", None)


def test_image_healthchecks_in_nanoseconds():
    assert image_check({"Test": ["CMD-SHELL", "curl -f localhost"], "Interval": 5_000_000_000}) == DeclaredCheck(
        ["CMD-SHELL", "curl -f localhost"], 5.0)
    assert image_check({}) is None
    assert image_check({"Test": ["NONE"]}).disabled

