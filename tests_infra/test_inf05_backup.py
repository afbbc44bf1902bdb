"""INF-05 — Backup and recovery procedures tested (`Backup and recovery procedures tested`).

The drill: pg_dump of the live database as the application role, restore into a scratch
database, compare per-table row counts and checksums of every table, drop the scratch database.
The live database is never written. Evidence: dump size, the duration of each step, the tables
and rows compared. How the drill runs is described in nestgate/drills/backup.py.
"""

import pytest

from nestgate.drills.backup import run_drill
from nestgate.rules.inf05_backup import drill_findings

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-05")
def test_backup_restores_to_identical_copy(target_config, stack, evidence):
    db = target_config.model.infra.database
    drill_cfg = target_config.model.infra.backup
    pg = stack.postgres()
    evidence.source(f"pg_dump -Fc, pg_restore, psql in container {pg.container.name} via the engine's exec API")
    evidence.limit(rows_and_checksums="equal for every table", scratch_dropped=True, within_s=drill_cfg.timeout_s)

    facts = run_drill(pg, db.dbname, db.maintenance_db, drill_cfg.scratch_prefix, drill_cfg.timeout_s,
                      drill_cfg.attempts)
    rows = sum(s.rows for s in facts.live.values())
    evidence.measure(dump_bytes=facts.dump_bytes, seconds=facts.seconds, attempts=facts.attempts,
                     tables_compared=len(facts.restored), rows_compared=rows, scratch=facts.scratch,
                     scratch_dropped=facts.dropped, unreadable_tables=facts.unreadable)
    found = evidence.judge(drill_findings(facts, db.user))
    assert not found, found.message
