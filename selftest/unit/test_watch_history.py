"""The watch history on real SQLite files: rows survive a reopen, garbage is one HistoryError line."""

import pytest

from nestgate.errors import NestgateError
from nestgate.watch.history import History, HistoryError, Result, Sample


def _fill(h: History) -> int:
    run = h.start_run(100.0, "INF-04 -m infra")
    h.add_result(Result(run, 101.0, "INF-04", "t[INF-04[/health]]", "passed", 0.5, "", {"measured": {"status": 200}}))
    h.finish_run(run, 102.0, 0, "GO")
    h.add_samples(103.0, [Sample("service.up", "app", 1.0, {"running": 1}), Sample("http.ok", "/health", 0.0,
                                                                                  {"error": "refused"})])
    h.add_event(104.0, 1, "service-down", "app", {"for_s": 130})
    h.set_meta("watch_start", 99.0)
    return run


def test_rows_survive_closing_and_reopening_the_same_file(tmp_path):
    path = tmp_path / "h.sqlite"
    h = History(path)
    run = _fill(h)
    h.close()

    again = History(path)
    try:
        assert [(r.id, r.started, r.finished, r.exit_code, r.verdict) for r in again.runs()] == [(run, 100.0, 102.0, 0,
                                                                                                  "GO")]
        [res] = again.results()
        assert (res.control, res.outcome, res.evidence) == ("INF-04", "passed", {"measured": {"status": 200}})
        assert [(s.signal, s.subject, s.value, s.detail, s.ts) for s in again.samples()] == [
            ("service.up", "app", 1.0, {"running": 1}, 103.0), ("http.ok", "/health", 0.0, {"error": "refused"}, 103.0)]
        assert [e.trigger for e in again.events()] == ["service-down"]
        assert again.get_meta("watch_start") == 99.0
        # appending after a reopen continues the ids, it does not start over
        assert again.start_run(200.0, "x") == run + 1
    finally:
        again.close()


def test_sample_queries_filter_by_signal_subject_and_time(tmp_path):
    h = History(tmp_path / "h.sqlite")
    for ts in (1.0, 2.0, 3.0):
        h.add_samples(ts, [Sample("memory.percent", "app", ts * 10), Sample("memory.percent", "redis", ts)])
    assert [s.value for s in h.samples("memory.percent", since=2.0, subject="app")] == [20.0, 30.0]
    assert [s.ts for s in h.samples("memory.percent", until=2.0, subject="redis")] == [1.0, 2.0]
    assert h.samples("service.up") == []
    h.close()


def test_a_garbage_file_is_one_history_error_line(tmp_path):
    path = tmp_path / "h.sqlite"
    path.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(HistoryError) as info:
        History(path)
    assert isinstance(info.value, NestgateError)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_an_unwritable_location_is_one_history_error_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(HistoryError, match=r"cannot be opened|not a usable"):
        History(blocker / "sub" / "h.sqlite")


def test_a_history_of_another_schema_version_is_refused(tmp_path):
    path = tmp_path / "h.sqlite"
    h = History(path)
    h.set_meta("schema_version", 99)
    h.close()
    with pytest.raises(HistoryError, match="schema version 99"):
        History(path)
