"""INF-09 — Data integrity (`Data Integrity: 100% data consistency (measurement: database integrity
checks)`, the procedure's business success metric; "data integrity compromise" is a Level 3 trigger).

PostgreSQL's own checks, read-only, through the database service (psql in its container, as the
application role, as INF-03 and INF-05 reach it):
- amcheck's bt_index_check (with heapallindexed by default) over every btree index of the
  application's schemas: the index is consistent and every table row has its entry;
- per foreign key, the child rows whose parent row is missing (an anti-join, so NOT VALID keys and
  disabled triggers are counted as what they let through).
The before/after row counts and checksums around a deploy are judged by `nestgate deploy` when its
post-deploy gate runs INF-09 (nestgate/deploy_integrity.py), with the same rules.
"""

import pytest

from nestgate.probes.integrity import amcheck_state, create_amcheck, fk_checks, index_checks
from nestgate.rules.inf09_data_integrity import amcheck_ready_findings, fk_findings, index_findings

pytestmark = [pytest.mark.infra, pytest.mark.runtime]


@pytest.mark.control("INF-09")
def test_btree_indexes_pass_amcheck(target_config, stack, evidence):
    db = target_config.model.infra.database
    cfg = target_config.model.infra.integrity
    pg = stack.postgres()
    subject = f"database {db.dbname}"
    evidence.limit(amcheck="every btree index passes bt_index_check", heapallindexed=cfg.heapallindexed,
                   create_amcheck_allowed=cfg.create_amcheck)
    state = amcheck_state(pg, db.dbname, cfg.timeout_s)
    create_error = ""
    if state.version is None and state.available and cfg.create_amcheck:
        create_error = create_amcheck(pg, db.dbname, cfg.timeout_s)
        evidence.source(f"CREATE EXTENSION IF NOT EXISTS amcheck as {db.user} ([infra.integrity].create_amcheck)")
        state = amcheck_state(pg, db.dbname, cfg.timeout_s)
    evidence.measure(amcheck_version=state.version, amcheck_schema=state.schema, can_execute=state.can_execute)
    found = evidence.judge(amcheck_ready_findings(subject, db.dbname, db.user, state, cfg.create_amcheck,
                                                  create_error))
    assert not found, found.message
    evidence.source(f"{state.schema}.bt_index_check(index, heapallindexed => {str(cfg.heapallindexed).lower()}) "
                    "per btree index, one read-only psql session")
    checks = index_checks(pg, db.dbname, state.schema or "public", cfg.heapallindexed, cfg.timeout_s)
    evidence.measure(indexes_checked=len(checks), indexes_failed=[c.index for c in checks if not c.ok],
                     tables=sorted({c.table for c in checks}))
    found = evidence.judge(index_findings(subject, db.dbname, checks))
    assert not found, found.message


@pytest.mark.control("INF-09")
def test_foreign_keys_have_no_orphan_rows(target_config, stack, evidence):
    db = target_config.model.infra.database
    cfg = target_config.model.infra.integrity
    pg = stack.postgres()
    evidence.source("per foreign key: count of child rows with every key column set and no parent row "
                    "(anti-join; NOT VALID keys and disabled triggers included), one read-only psql session")
    evidence.limit(orphan_rows_per_foreign_key=0)
    checks = fk_checks(pg, db.dbname, cfg.timeout_s)
    evidence.measure(foreign_keys_checked=len(checks), tables=sorted({c.table for c in checks}),
                     orphans={c.constraint: c.orphans for c in checks},
                     not_valid=[c.constraint for c in checks if not c.validated],
                     triggers_disabled=[c.constraint for c in checks if c.triggers_disabled])
    found = evidence.judge(fk_findings(checks))
    assert not found, found.message
