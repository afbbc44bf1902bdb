"""INF-02 .. INF-08 against the real reference stack: all pass on the clean stack, and the backup
drill leaves the live database exactly as it found it. Each seeded infra fault is proven in the
exclusivity matrix (selftest/matrix/): alone on the stack, all four gates, exact failing tests."""

from __future__ import annotations

import json

import pytest

from nestgate.config import load_config
from nestgate.drills.backup import live_checksums
from nestgate.probes.credentials import read_secret
from nestgate.probes.data_clients import PgSession
from nestgate.probes.engine import Engine
from selftest.gaterun import GateRun, run_gates

INFRA = ["-m", "infra"]
CONTROLS = {f"INF-0{i}" for i in range(1, 10)}  # INF-09 runs read-only too

def failure_lines(run: GateRun) -> dict[str, list[str]]:
    """Control -> the first line of each failed test's message."""
    out: dict[str, list[str]] = {}
    for o in run.outcomes.values():
        if o.outcome in ("failed", "error"):
            out.setdefault(o.properties.get("nestgate.control", "?"), []).append(o.message.splitlines()[0])
    return out


def evidence_of(run: GateRun, control: str, test: str = "") -> dict:
    [o] = [o for o in run.by_control(control) if test in o.nodeid]
    return json.loads(o.properties["nestgate.evidence"])


class LiveDatabase:
    """The live database as the app role sees it: per-table checksums and write counters."""

    def __init__(self, config_path) -> None:
        cfg = load_config(config_path)
        t, db = cfg.model.target, cfg.model.infra.database
        self.engine = Engine(t.docker_host, t.call_timeout_s, t.stack, t.orchestrator)
        self.pg = PgSession.open(self.engine, db.service, db.port, db.user, read_secret(db.password, cfg),
                                 t.call_timeout_s)
        self.dbname, self.maintenance = db.dbname, db.maintenance_db

    def snapshot(self) -> dict:
        writes = self.pg.psql(self.dbname, "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0), "
                                           "count(*) FROM pg_stat_user_tables")
        drills = self.pg.psql(self.maintenance, "SELECT count(*) FROM pg_database WHERE datname LIKE 'nestgate_drill%'")
        assert writes.ok and drills.ok, writes.reason() + drills.reason()
        return {"tables": live_checksums(self.pg, self.dbname, 60), "writes_and_tables": writes.text().strip(),
                "scratch_databases": drills.text().strip()}


@pytest.fixture(scope="module")
def clean_run(testbed) -> tuple[GateRun, dict, dict]:
    live = LiveDatabase(testbed.config_path)
    before = live.snapshot()
    run = run_gates(INFRA, testbed.config_path)
    return run, before, live.snapshot()


def test_clean_stack_passes_every_infra_control(clean_run):
    run, _, _ = clean_run
    assert run.returncode == 0, failure_lines(run) or run.output[-3000:]
    assert {o.properties.get("nestgate.control") for o in run.outcomes.values()} == CONTROLS
    assert all(o.outcome == "passed" for o in run.outcomes.values())
    assert "infra        GO" in run.output


def test_backup_drill_never_writes_the_live_database(clean_run):
    run, before, after = clean_run
    assert before["tables"], "no live tables to compare"
    assert after == before  # same rows and checksums, no tuple written, no scratch database left
    assert before["scratch_databases"] == "0"
    ev = evidence_of(run, "INF-05")["measured"]
    assert ev["dump_bytes"] > 1000 and ev["scratch_dropped"] is True
    assert ev["tables_compared"] == len(before["tables"]) and ev["rows_compared"] > 0
    assert set(ev["seconds"]) == {"checksum_live", "dump", "create", "restore", "checksum_restored", "drop"}


def test_clean_evidence_records_measured_values(clean_run):
    run, _, _ = clean_run
    assert evidence_of(run, "INF-07")["measured"]["peak_per_minute"] < 10
    assert "rate" in evidence_of(run, "INF-07")["threshold"]
    rollback = evidence_of(run, "INF-08", "test_built_services_have_previous_image")["measured"]["services"]
    drill = evidence_of(run, "INF-08", "test_rollback_drill_recent_and_within_limit")["measured"]["newest"]
    assert drill["kind"] == "drill" and drill["restored"] is True and drill["rolled_forward"] is True, drill
    assert drill["source"].endswith("/rollback-drill.json") and drill["seconds"] <= drill["limit_s"]
    assert set(rollback) == {"app", "monitor"}
    assert all(s["previous"].endswith("-r1") and s["present"] for s in rollback.values())
    [select] = [o for o in run.by_control("INF-03") if "postgres" in o.nodeid]
    assert json.loads(select.properties["nestgate.evidence"])["measured"]["answer"] == "1"
