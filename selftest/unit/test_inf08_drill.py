"""INF-08 "tested": the drill records (reader), the judgement of the newest drill (rules), the timed
drill itself (nestgate.drills.rollback_drill, with real clocks and files) and the config keys."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from nestgate.config import load_config
from nestgate.drills import rollback_drill
from nestgate.drills.rollback_drill import RollbackSteps
from nestgate.errors import ConfigError, EvidenceUnavailable
from nestgate.probes.rollback_record import Drill, DrillRecord, read_drills
from nestgate.rules.inf08_rollback import drill_findings, newest_drill

NOW = dt.datetime(2025, 6, 30, 12, 0, tzinfo=dt.UTC)
WHERE = "/srv/reports/*-deploy*/rollback.json"


def record(days_ago: float = 1.0, seconds: float = 42.0, restored: bool = True, kind: str = "drill",
           **extra) -> dict:
    finished = NOW - dt.timedelta(days=days_ago)
    return {"kind": kind, "started": (finished - dt.timedelta(seconds=seconds)).isoformat(),
            "finished": finished.isoformat(), "seconds": seconds, "limit_s": 300, "restored": restored,
            "rolled_back": "sh -c 'docker service rollback medianest_app'", "rolled_forward": True, **extra}


def drill(source: str = "/srv/reports/20250629-deploy-infra/rollback.json", **kw) -> Drill:
    return Drill(source, DrillRecord.model_validate(record(**kw)))


def judge(drills: list[Drill], max_age_days: float = 30, limit_s: float = 300) -> list[str]:
    return [str(f) for f in drill_findings(drills, NOW, max_age_days, limit_s, WHERE)]


# -- rules -------------------------------------------------------------------------------------
def test_no_drill_fails_naming_the_window_and_where_it_looked():
    assert judge([]) == [f"no rollback drill recorded in the last 30 days (looked in {WHERE})"]
    assert judge([], max_age_days=7.5) == [f"no rollback drill recorded in the last 7.5 days (looked in {WHERE})"]


def test_a_recent_restored_drill_within_the_limit_passes():
    assert judge([drill()]) == []


def test_the_newest_drill_too_old_fails_with_its_age_and_file():
    [line] = judge([drill(days_ago=45.25), drill("/x/older.json", days_ago=60)])
    assert line == ("no rollback drill recorded in the last 30 days: the newest finished 2025-05-16T06:00:00+00:00, "
                    f"45.2 days ago (/srv/reports/20250629-deploy-infra/rollback.json; looked in {WHERE})")


def test_a_drill_over_the_limit_fails_with_seconds_and_limit():
    [line] = judge([drill(seconds=412.34)])
    assert line == ("rollback drill /srv/reports/20250629-deploy-infra/rollback.json (finished "
                    "2025-06-29T12:00:00+00:00): restored after 412.3 s, not under the rollback limit of 300 s")
    assert judge([drill(seconds=200.0)], limit_s=120) == [
        "rollback drill /srv/reports/20250629-deploy-infra/rollback.json (finished 2025-06-29T12:00:00+00:00): "
        "restored after 200.0 s, not under the rollback limit of 120 s"]


def test_a_drill_that_did_not_restore_fails():
    [line] = judge([drill(restored=False, seconds=301.5)])
    assert line == ("rollback drill /srv/reports/20250629-deploy-infra/rollback.json (finished "
                    "2025-06-29T12:00:00+00:00): did not restore the stack: gave up after 301.5 s (limit 300 s); "
                    "rolled back: sh -c 'docker service rollback medianest_app'")


def test_only_the_newest_drill_is_judged():
    failed_earlier = drill("/a.json", days_ago=3, restored=False)
    assert judge([failed_earlier, drill("/b.json", days_ago=1)]) == []
    assert newest_drill([failed_earlier, drill("/b.json", days_ago=1)]).source == "/b.json"
    [line] = judge([drill("/a.json", days_ago=3), drill("/b.json", days_ago=1, restored=False)])
    assert line.startswith("rollback drill /b.json ") and "did not restore" in line


def test_a_drill_from_the_future_is_not_believed():
    [line] = judge([drill(days_ago=-1)])
    assert "finished 2025-07-01T12:00:00+00:00, in the future" in line
    assert judge([drill(days_ago=-1 / 24 / 60)]) == []  # a minute of clock skew is tolerated


# -- reader ------------------------------------------------------------------------------------
def _deploy_folder(reports: Path, name: str, data) -> Path:
    (reports / name).mkdir(parents=True)
    path = reports / name / "rollback.json"
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_reader_counts_drills_real_rollbacks_and_records_written_before_drills(tmp_path):
    reports = tmp_path / "reports"
    newer = _deploy_folder(reports, "20250629T100000Z-deploy-infra", record(control_id="INF-08", passed=True))
    _deploy_folder(reports, "20250628T100000Z-deploy-infra", record(kind="rollback"))
    _deploy_folder(reports, "20250601T100000Z-deploy-security", {"control_id": "INF-08", "measured": {}})
    (reports / "20250601T100000Z-gate-security").mkdir()  # a gate bundle: no rollback.json
    scan = read_drills(reports, None)
    assert [d.source for d in scan.drills] == [str(newer)] and scan.rollbacks == 2
    assert scan.drills[0].record.model_extra == {"control_id": "INF-08", "passed": True}
    assert scan.looked_in == [f"{reports}/*-deploy*/rollback.json"]


def test_reader_reads_a_record_file_of_one_or_many(tmp_path):
    one, many = tmp_path / "one.json", tmp_path / "many.json"
    one.write_text(json.dumps(record()))
    many.write_text(json.dumps([record(days_ago=5), record(days_ago=2, kind="rollback"), record(days_ago=1)]))
    assert [d.source for d in read_drills(None, one).drills] == [str(one)]
    scan = read_drills(tmp_path / "no-reports", many)
    assert [d.source for d in scan.drills] == [f"{many}[0]", f"{many}[2]"] and scan.rollbacks == 1
    assert scan.looked_in == [f"{tmp_path}/no-reports/*-deploy*/rollback.json (no such folder)", str(many)]


@pytest.mark.parametrize(("data", "reason"), [
    ("{ not json", "is not valid JSON: "),
    ([1, 2], "[0]: expected a JSON object, found int"),
    ("[]", None),
    ({**record(), "restored": "yes"}, ": restored: Input should be a valid boolean"),
    ({**record(), "seconds": "12"}, ": seconds: Input should be a valid number"),
    ({k: v for k, v in record().items() if k != "finished"}, ": finished: Field required"),
    ({**record(), "finished": "2025-06-29T12:00:00"}, ": finished: Input should have timezone info"),
    ({**record(), "kind": "rehearsal"}, ": kind: Input should be 'drill' or 'rollback'"),
    ({**record(), "started": NOW.isoformat()}, ": record: Value error, finished is before started"),
    ({**record(), "seconds": -1}, ": seconds: Input should be greater than or equal to 0"),
])
def test_reader_fails_closed_on_a_malformed_record(tmp_path, data, reason):
    path = tmp_path / "drills.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    if reason is None:  # an empty list is readable: it holds no drill
        assert read_drills(None, path).drills == []
        return
    with pytest.raises(EvidenceUnavailable) as err:
        read_drills(None, path)
    assert str(err.value).startswith(f"rollback drill record {path}") and reason in str(err.value)
    assert "\n" not in str(err.value)


def test_reader_fails_closed_on_a_bad_file_in_the_reports_folder_and_a_missing_record_file(tmp_path):
    bad = _deploy_folder(tmp_path / "reports", "20250629T100000Z-deploy-infra", "\xff garbage")
    with pytest.raises(EvidenceUnavailable, match=f"rollback drill record {bad} is not valid JSON"):
        read_drills(tmp_path / "reports", None)
    missing = tmp_path / "none.json"
    with pytest.raises(EvidenceUnavailable, match=f"rollback drill record {missing} cannot be read: No such file"):
        read_drills(None, missing)


# -- the timed drill ---------------------------------------------------------------------------
def test_a_drill_is_timed_until_restored_then_rolls_forward(tmp_path):
    calls: list[str] = []

    def rollback(limit: float) -> bool:
        calls.append(f"rollback within {limit:g}")
        time.sleep(0.2)
        return True

    def restored(deadline: float) -> bool:
        calls.append("check")
        assert deadline > time.monotonic()
        time.sleep(0.2)
        return True

    outcome = rollback_drill.run(RollbackSteps("svc app", rollback, restored, lambda: calls.append("forward") or True),
                                 300, "drill")
    assert calls == ["rollback within 300", "check", "forward"]
    r = outcome.record
    assert r.kind == "drill" and r.restored and r.rolled_forward is True and r.limit_s == 300.0
    assert 0.4 <= r.seconds < 60 and outcome.command_s >= 0.2 and outcome.passed
    assert r.started <= r.finished and r.finished.tzinfo is not None
    path = tmp_path / "out" / "drill.json"
    rollback_drill.write(path, rollback_drill.record_fields(r))
    [read] = read_drills(None, path).drills
    assert read.record == r  # what is written reads back as the same record


def test_a_failed_rollback_is_not_restored_and_a_drill_still_rolls_forward():
    calls: list[str] = []
    steps = RollbackSteps("svc app", lambda limit: False, lambda deadline: calls.append("check") or True,
                          lambda: calls.append("forward") or False)
    outcome = rollback_drill.run(steps, 300, "drill")
    assert calls == ["forward"]  # no check after a failed rollback command
    assert outcome.record.restored is False and outcome.record.rolled_forward is False and not outcome.passed
    assert not rollback_drill.run(RollbackSteps("x", lambda limit: True, lambda deadline: True,
                                                lambda: False), 300, "drill").passed  # not rolled forward


def test_a_real_rollback_never_rolls_forward_and_a_drill_must():
    outcome = rollback_drill.run(RollbackSteps("x", lambda limit: True, lambda deadline: True), 300, "rollback")
    assert outcome.record.kind == "rollback" and outcome.record.rolled_forward is None and outcome.passed
    with pytest.raises(ValueError, match="needs a roll forward"):
        rollback_drill.run(RollbackSteps("x", lambda limit: True, lambda deadline: True), 300, "drill")


# -- config ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("body", "error"), [
    ('drill_reports = ""', 'infra.rollback: Value error, drill_reports and drill_record are both ""'),
    ("drill_max_age_days = 0", "infra.rollback.drill_max_age_days: Input should be greater than 0"),
])
def test_config_refuses_nowhere_to_look_and_a_zero_window(tmp_path, body, error):
    path = tmp_path / "nestgate.toml"
    path.write_text(f"[infra.rollback]\n{body}\n")
    with pytest.raises(ConfigError, match=error.replace("(", r"\(")):
        load_config(path)


def test_config_defaults_and_relative_paths(tmp_path):
    path = tmp_path / "nestgate.toml"
    path.write_text('[infra.rollback]\ndrill_reports = ""\ndrill_record = "drills/record.json"\n')
    cfg = load_config(path)
    assert cfg.model.infra.rollback.drill_max_age_days == 30
    assert cfg.resolve(cfg.model.infra.rollback.drill_record) == tmp_path / "drills" / "record.json"


def test_deploy_refuses_a_drill_without_a_rollback_command(capsys):
    from nestgate.deploy import main

    with pytest.raises(SystemExit) as exited:
        main(["--gate", "infra", "--rollback-drill", "--", "true"])
    assert exited.value.code == 2  # a usage error: nothing ran
    assert "--rollback-drill needs --rollback CMD" in capsys.readouterr().err


def test_a_drill_at_exactly_the_limit_fails_under_the_procedures_words():
    """"EMERGENCY ROLLBACK (< 5 Minutes)": 300.0 s is not under 300 s; 299.9 s is."""
    [line] = judge([drill(seconds=300.0)])
    assert line.endswith("restored after 300.0 s, not under the rollback limit of 300 s")
    assert judge([drill(seconds=299.9)]) == []
