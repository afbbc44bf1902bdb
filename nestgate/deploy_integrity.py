"""INF-09 around `nestgate deploy`: the row count and checksum of every table before the deploy, again
after it, and any table that lost rows fails the post-deploy gate.

It runs when the post-deploy gate runs INF-09 (`--post-gate infra` or `--post-gate INF-09`): the gate's
pytest run checks indexes and foreign keys, the deploy compares the two snapshots (it alone knows what
"before" was). Read-only, through the same psql session as the control. In the deploy's folder:
integrity-before.json (the snapshot), and per post-deploy check integrity-<step>.json: the INF-09
evidence (after snapshot, tables that lost rows, tables whose rows changed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError
from nestgate.gate.evidence import Evidence
from nestgate.probes.credentials import read_secret
from nestgate.probes.data_clients import PgSession
from nestgate.probes.engine import Engine
from nestgate.probes.integrity import TableSnapshot, table_snapshot
from nestgate.probes.readers.pg_checksums import TableSum
from nestgate.redact import REDACTOR
from nestgate.rules.inf09_data_integrity import changed_tables, deploy_findings

CONTROL = "INF-09"
BEFORE = "integrity-before.json"
Snapshot = dict[str, TableSum]  # table -> rows and checksum


def selected(gates: list[str], controls: list[str]) -> bool:
    """The post-deploy gate runs INF-09: named, or its whole gate with no control list narrowing it."""
    return CONTROL in controls or (not controls and "infra" in gates)


def _snapshot(cfg: LoadedConfig) -> TableSnapshot:
    db, target = cfg.model.infra.database, cfg.model.target
    engine = Engine.for_target(target)
    pg = PgSession.open(engine, db.service, db.port, db.user, read_secret(db.password, cfg), target.call_timeout_s)
    return table_snapshot(pg, db.dbname, cfg.model.infra.integrity.timeout_s)


def _write(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(REDACTOR.scrub_any(data), indent=2) + "\n", encoding="utf-8")


def _tables(snap: TableSnapshot) -> dict[str, dict[str, Any]]:
    return {t: {"rows": s.rows, "checksum": s.checksum} for t, s in sorted(snap.tables.items())}


def integrity_snapshot(cfg: LoadedConfig, folder: Path) -> Snapshot:
    """Before the deploy: snapshot every table into folder/integrity-before.json. Raises NestgateError
    (EvidenceUnavailable) when the database cannot be read: the comparison after would be impossible."""
    snap = _snapshot(cfg)
    _write(folder / BEFORE, {"database": snap.database, "source": snap.source, "tables": _tables(snap),
                             "unreadable": snap.unreadable})
    return dict(snap.tables)


def integrity_after(cfg: LoadedConfig, folder: Path, before: Snapshot, step: str) -> list[str]:
    """After the deploy: snapshot again, judge (rules INF-09), write integrity-<step>.json as INF-09
    evidence. The problems, one line each (empty: no table lost rows)."""
    ev = Evidence(control_id=CONTROL, target=cfg.model.target.stack)
    ev.limit(rows_per_table=">= before the deploy")
    ev.measure(before_file=BEFORE)
    try:
        snap = _snapshot(cfg)
    except NestgateError as exc:
        problems = [f"{CONTROL} before/after: the tables could not be read after the deploy: {exc}"]
        ev.measure(problems=problems)
        _write(folder / f"integrity-{step}.json", {**ev.to_dict(), "passed": False})
        return problems
    ev.source(f"row count and checksum of every table, {snap.source}; before: {BEFORE}")
    ev.measure(tables_compared=len(before), after=_tables(snap), unreadable_after=snap.unreadable,
               changed=changed_tables(before, snap.tables))
    found = ev.judge(deploy_findings(snap.database, before, snap.tables))
    _write(folder / f"integrity-{step}.json", {**ev.to_dict(), "passed": not found})
    return [f"{CONTROL}: {f}" for f in found]
