"""INF-05 — Backup and recovery procedures tested (`Backup and recovery procedures tested`).

The drill: pg_dump of the live database as the application role, restore into a scratch
database, compare per-table row counts and checksums of every table, drop the scratch database.
The live database is never written. Evidence: dump size, the duration of each step, the tables
and rows compared. How the drill runs is described in nestgate/probes/backup.py.
"""

import pytest

from nestgate.drills.backup import run_drill
from nestgate.probes.credentials import read_secret
from nestgate.probes.data_clients import PgSession
from nestgate.rules.inf05_backup import compare, unreadable_object

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-05")
def test_backup_restores_to_identical_copy(target_config, engine, evidence):
    db = target_config.model.infra.database
    drill_cfg = target_config.model.infra.backup
    password = read_secret(db.password, target_config)
    pg = PgSession.open(engine, db.service, db.port, db.user, password, target_config.model.target.call_timeout_s)
    evidence.source(f"pg_dump -Fc, pg_restore, psql in container {pg.container.name} via the engine's exec API")
    evidence.source(f"live: {pg.describe(db.dbname)}; password: {db.password.describe()}")
    evidence.limit(rows_and_checksums="equal for every table", scratch_dropped=True, within_s=drill_cfg.timeout_s)

    facts = run_drill(pg, db.dbname, db.maintenance_db, drill_cfg.scratch_prefix, drill_cfg.timeout_s,
                      drill_cfg.attempts)
    rows = sum(s.rows for s in facts.live.values())
    evidence.measure(dump_bytes=facts.dump_bytes, seconds=facts.seconds, attempts=facts.attempts,
                     tables_compared=len(facts.restored), rows_compared=rows, scratch=facts.scratch,
                     scratch_dropped=facts.dropped, unreadable_tables=facts.unreadable)
    what = f"backup drill of database {db.dbname} as role {db.user}"

    table = unreadable_object(facts.dump_error)
    unreadable = f"table {table} cannot be read by role {db.user}: " if table else ""
    assert facts.dump_ok, f"{what}: pg_dump failed (exit {facts.dump_exit}): {unreadable}{facts.dump_error}"
    assert not facts.unreadable, f"{what}: tables the role cannot read were left out: {', '.join(facts.unreadable)}"
    assert not facts.changed_during_dump, (
        f"{what}: live tables kept changing while pg_dump ran ({facts.attempts} attempts): "
        f"{', '.join(facts.changed_during_dump)}; no consistent comparison")
    assert not facts.create_error, f"{what}: cannot create scratch database {facts.scratch}: {facts.create_error}"
    assert facts.restore_ok, f"{what}: pg_restore into scratch database {facts.scratch} failed: {facts.restore_error}"
    assert facts.dropped, f"{what}: scratch database {facts.scratch} was not dropped: {facts.drop_error}"
    mismatches = compare(facts.live, facts.restored)
    assert not mismatches, (
        f"{what}: the restored copy differs from the live database in {len(mismatches)} table(s): "
        + "; ".join(m.describe() for m in mismatches))
