"""KPIs from synthetic watch histories (a real SQLite History in a temp file)."""

from __future__ import annotations

import datetime as dt

import pytest

from nestgate.config.watch import Kpi
from nestgate.watch.history import History, Result, Sample
from nestgate.watch.kpi import MET, NO_DATA, NOT_MET, compute
from nestgate.watch.since import SinceError, parse_since

T0 = 1_700_000_000.0
TARGETS = Kpi()  # the procedure's: 99.9 %, 2 s, 1 %, 300 s
ENDPOINTS = ["/health", "/api/v1/health"]
SERVICES = ["app", "nginx"]


@pytest.fixture
def history(tmp_path):
    h = History(tmp_path / "history.sqlite")
    yield h
    h.close()


def _sample_http(h: History, n: int, every: float = 30.0, failed: set[int] = frozenset(),
                 times: list[float] | None = None, endpoints: list[str] = ENDPOINTS) -> None:
    for i in range(n):
        ok = i not in failed
        rt = (times[i] if times else 0.05) if ok else -1.0
        h.add_samples(T0 + i * every, [s for e in endpoints for s in (
            Sample("http.ok", e, 1.0 if ok else 0.0), Sample("http.response_s", e, rt))])


def _sample_services(h: History, n: int, every: float = 30.0, down: dict[str, set[int]] | None = None) -> None:
    for i in range(n):
        h.add_samples(T0 + i * every, [Sample("service.up", s, 0.0 if i in (down or {}).get(s, set()) else 1.0)
                                       for s in SERVICES])


def _integrity_checks(h: History, outcomes: list[str], every: float = 300.0) -> None:
    """One controls round per outcome, each with one INF-09 test result."""
    for i, outcome in enumerate(outcomes):
        run = h.start_run(T0 + i * every, "INF-09")
        h.add_result(Result(run, T0 + i * every + 1, "INF-09", "test_foreign_keys_have_no_orphan_rows[INF-09]",
                            outcome, 0.5, "" if outcome == "passed" else "foreign key fk: 1 orphan row(s)", {}))


def _kpi(report, kpi: str, subject: str | None = None):
    rows = [r for r in report.rows if r.kpi == kpi and (subject is None or r.subject == subject)]
    assert len(rows) == 1, report.rows
    return rows[0]


def _compute(h: History, drills=(), until: float = T0 + 100_000, **kw):
    return compute(h, kw.pop("targets", TARGETS), since=T0, until=until, endpoints=kw.pop("endpoints", ENDPOINTS),
                   services=SERVICES, drills=list(drills))


def _drill(at: float, seconds: float, restored: bool = True) -> dict:
    stamp = dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="seconds")
    return {"control_id": "INF-08", "timestamp": stamp,
            "measured": {"rollback_s": seconds, "restored": restored, "deploy_folder": "reports/x-deploy-infra"},
            "passed": restored and seconds < 300}


def test_clean_history_with_a_fast_drill_meets_every_kpi(history):
    _sample_http(history, 1000)
    _integrity_checks(history, ["passed", "passed"])
    report = _compute(history, drills=[_drill(T0 + 60, 42.5)])
    assert report.all_met, report.rows
    assert _kpi(report, "availability", "/health").measured == "100 %"
    assert _kpi(report, "error rate").value == 0.0
    rec = _kpi(report, "recovery time")
    assert rec.value == 42.5 and rec.verdict == MET


def test_two_failures_in_a_thousand_miss_99_9_but_one_meets_it(history):
    _sample_http(history, 1000, failed={10, 500})
    report = _compute(history, drills=[_drill(T0 + 60, 10)])
    avail = _kpi(report, "availability", "/health")
    assert avail.value == pytest.approx(99.8) and avail.verdict == NOT_MET
    assert "998 of 1000" in avail.detail
    assert not report.all_met


def test_one_failure_in_a_thousand_is_exactly_99_9_and_met(tmp_path):
    h = History(tmp_path / "h.sqlite")
    _sample_http(h, 1000, failed={7})
    report = _compute(h)
    assert _kpi(report, "availability", "/health").verdict == MET
    err = _kpi(report, "error rate")
    assert err.value == pytest.approx(0.1) and err.verdict == MET
    h.close()


def test_error_rate_over_one_percent_is_not_met(history):
    _sample_http(history, 100, failed={1, 2})
    err = _kpi(_compute(history), "error rate")
    assert err.value == pytest.approx(2.0) and err.verdict == NOT_MET
    assert "4 of 200 requests failed" in err.detail


def test_percentiles_are_nearest_rank_and_failed_requests_are_left_out(history):
    times = [0.01 * (i + 1) for i in range(100)]  # 0.01 .. 1.00 s
    _sample_http(history, 100, failed={99}, times=times)  # the 1.00 s one failed: -1 is not a time
    report = _compute(history)
    lat = next(x for x in report.latency if x.endpoint == "/health")
    assert (lat.requests, lat.answered) == (100, 99)
    assert lat.p50 == pytest.approx(0.50)  # ceil(0.50 * 99) = 50th of 0.01..0.99
    assert lat.p95 == pytest.approx(0.95)  # ceil(0.95 * 99) = 95th
    assert lat.p99 == pytest.approx(0.99)
    assert lat.max == pytest.approx(0.99)
    assert _kpi(report, "response time p95", "/health").verdict == MET


def test_slow_p95_is_not_met_and_a_p95_at_the_limit_is_not_under_it(history):
    _sample_http(history, 20, times=[0.1] * 18 + [2.0, 2.0])
    rt = _kpi(_compute(history), "response time p95", "/health")
    assert rt.value == 2.0 and rt.verdict == NOT_MET


def test_no_samples_at_all_is_no_data_everywhere_and_not_met(history):
    report = _compute(history)
    assert not report.all_met
    for row in report.rows:
        assert row.verdict == NO_DATA, row
        assert row.detail  # says why
    assert "nothing was timed" in _kpi(report, "recovery time").detail


def test_an_endpoint_that_never_answered_has_no_response_time(history):
    _sample_http(history, 5, failed=set(range(5)), endpoints=["/health"])
    report = _compute(history, endpoints=["/health"])
    rt = _kpi(report, "response time p95", "/health")
    assert rt.verdict == NO_DATA and "none of 5 requests was answered 2xx" in rt.detail
    assert _kpi(report, "availability", "/health").value == 0.0


def test_a_configured_endpoint_without_samples_is_no_data(history):
    _sample_http(history, 10, endpoints=["/health"])
    report = _compute(history)
    assert _kpi(report, "availability", "/api/v1/health").verdict == NO_DATA
    assert _kpi(report, "availability", "/health").verdict == MET


def test_recovery_time_from_a_service_down_event_to_the_next_up_sample(history):
    _sample_http(history, 40, failed={12, 13})
    _sample_services(history, 40, down={"app": set(range(10, 20))})  # down 300 s .. 570 s, up at 600 s
    history.add_event(T0 + 420, 1, "service-down", "app", {"down_s": 120})
    rows = [r for r in _compute(history).rows if r.kpi == "recovery time"]
    assert len(rows) == 1
    assert rows[0].value == pytest.approx(180.0) and rows[0].verdict == MET
    assert rows[0].subject == "service app (down event #1)"


def test_recovery_slower_than_the_limit_or_never_is_not_met(history):
    _sample_services(history, 40, down={"app": set(range(2, 30)), "nginx": set(range(20, 40))})
    history.add_event(T0 + 60, 1, "service-down", "app", {})
    history.add_event(T0 + 600, 1, "service-down", "nginx", {})
    rows = {r.subject: r for r in _compute(history).rows if r.kpi == "recovery time"}
    assert rows["service app (down event #1)"].value == pytest.approx(840.0)
    assert rows["service app (down event #1)"].verdict == NOT_MET
    never = rows["service nginx (down event #2)"]
    assert never.verdict == NOT_MET and never.value is None and "not restored" in never.detail


def test_drills_outside_the_period_or_not_restored(history):
    _sample_http(history, 10)
    drills = [_drill(T0 - 3600, 10), _drill(T0 + 100, 20, restored=False), _drill(T0 + 200, 301)]
    rows = [r for r in _compute(history, drills=drills).rows if r.kpi == "recovery time"]
    assert [(r.value, r.verdict) for r in rows] == [(20, NOT_MET), (301, NOT_MET)]
    assert "NOT restored" in rows[0].detail


def test_memory_and_log_errors_are_shown_per_service(history):
    for i, (mem, errs) in enumerate([(40.0, 100.0), (60.0, 10.0), (92.0, 40.0)]):
        history.add_samples(T0 + i * 60, [Sample("memory.percent", "app", mem), Sample("log.errors", "app", errs)])
    report = _compute(history)
    mem = next(m for m in report.memory if m.service == "app")
    assert (mem.samples, mem.peak, mem.mean) == (3, 92.0, pytest.approx(64.0))
    errs = next(e for e in report.errors_per_minute if e.service == "app")
    # the first sample's count covers an unknown time before it: 50 lines over the 2 minutes after
    assert errs.mean == pytest.approx(25.0) and errs.peak == pytest.approx(40.0)
    nginx = next(m for m in report.memory if m.service == "nginx")
    assert nginx.peak is None and nginx.samples == 0


def test_since_takes_a_duration_or_an_iso_time():
    assert parse_since("10m", T0) == T0 - 600
    assert parse_since("2023-11-14T22:13:20Z", T0 + 5) == T0
    for bad in ("yesterday", "-5m", "2999-01-01T00:00:00Z"):
        with pytest.raises(SinceError):
            parse_since(bad, T0)


def test_failed_log_and_memory_samples_are_left_out(history):
    for i, (mem, errs) in enumerate([(40.0, 0.0), (-1.0, -1.0), (60.0, 30.0)]):
        history.add_samples(T0 + i * 60, [Sample("memory.percent", "app", mem), Sample("log.errors", "app", errs)])
    report = _compute(history)
    mem = next(m for m in report.memory if m.service == "app")
    assert (mem.mean, mem.peak) == (50.0, 60.0)
    errs = next(e for e in report.errors_per_minute if e.service == "app")
    assert errs.mean == pytest.approx(15.0) and errs.peak == pytest.approx(15.0)  # 30 lines over 2 minutes


def test_a_fast_non_2xx_answer_is_not_a_response_time(history):
    for i in range(10):  # nginx answers 502 in 1 ms while the app is down: not a fast response
        bad = i >= 5
        history.add_samples(T0 + i * 30, [Sample("http.ok", "/health", 0.0 if bad else 1.0),
                                          Sample("http.response_s", "/health", 0.001 if bad else 1.5)])
    report = _compute(history, endpoints=["/health"])
    lat = next(x for x in report.latency if x.endpoint == "/health")
    assert (lat.requests, lat.answered, lat.p50) == (10, 5, 1.5)
    assert "over 5 answered 2xx of 10 requests" in _kpi(report, "response time p95", "/health").detail


@pytest.mark.parametrize("content", [None, b"this is not a database, just text\n" * 40, b""],
                         ids=["missing", "garbage", "empty"])
def test_kpi_cli_on_a_missing_or_garbage_history_is_one_line_exit_2(tmp_path, capsys, content):
    from nestgate.cli import PROJECT_ROOT, main

    path = tmp_path / "history.sqlite"
    if content is not None:
        path.write_bytes(content)
    code = main(["kpi", f"--target-config={PROJECT_ROOT / 'nestgate.toml'}", f"--history={path}",
                 f"--out={tmp_path / 'kpi.html'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"nestgate: history {path}"), err
    assert not (tmp_path / "kpi.html").exists()
    assert (path.read_bytes() if path.exists() else None) == content  # a reader creates and changes nothing


def test_kpi_cli_on_a_bad_since_is_one_line_exit_2(history, tmp_path, capsys):
    from nestgate.cli import PROJECT_ROOT, main

    code = main(["kpi", f"--target-config={PROJECT_ROOT / 'nestgate.toml'}", f"--history={history.path}",
                 "--since", "last tuesday", f"--out={tmp_path / 'kpi.html'}"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == ["nestgate: --since 'last tuesday': give a duration (90s, 10m, 1h, 1d) or an ISO "
                                 "8601 time"], err


def test_data_consistency_is_the_share_of_integrity_checks_passed(history):
    _integrity_checks(history, ["passed", "failed", "passed", "passed"])
    row = _kpi(_compute(history), "data consistency")
    assert (row.value, row.measured, row.verdict) == (75.0, "75 %", NOT_MET)
    assert "3 of 4 integrity checks passed" in row.detail and "1 orphan row(s)" in row.detail


def test_data_consistency_all_passed_is_met_and_none_run_is_no_data(history, tmp_path):
    _integrity_checks(history, ["passed"] * 3)
    row = _kpi(_compute(history), "data consistency")
    assert (row.value, row.verdict) == (100.0, MET)
    empty = History(tmp_path / "empty.sqlite")
    try:
        row = _kpi(_compute(empty), "data consistency")
    finally:
        empty.close()
    assert row.verdict == NO_DATA and "add INF-09 to watch.controls" in row.detail
