"""The INF-05 backup drill against the live PostgreSQL, with the server's own tools (via exec).

Per attempt: checksum the live tables, pg_dump the live database to a file on nestgate's host,
checksum the live tables again. If a table changed meanwhile (the app wrote), the dump's snapshot
cannot be pinned to a known state: try again, up to the configured attempts. Then create a scratch
database, pg_restore the dump into it, checksum its tables, and drop it (always, WITH (FORCE)).

The live database is only read: every session on it runs with default_transaction_read_only, and
the scratch database is created and dropped from the maintenance database.
"""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.data_clients import PgSession
from nestgate.probes.readers import pg_checksums as bd
from nestgate.progress import Step, step

logger = logging.getLogger(__name__)


@dataclass
class DrillFacts:
    database: str
    scratch: str
    source: str
    attempts: int = 0
    dump_ok: bool = False
    dump_error: str = ""
    dump_exit: int | None = None
    dump_bytes: int = 0
    unreadable: list[str] = field(default_factory=list)
    changed_during_dump: list[str] = field(default_factory=list)
    create_error: str = ""
    restore_ok: bool = False
    restore_error: str = ""
    live: dict[str, bd.TableSum] = field(default_factory=dict)
    restored: dict[str, bd.TableSum] = field(default_factory=dict)
    dropped: bool = False
    drop_error: str = ""
    seconds: dict[str, float] = field(default_factory=dict)

    def timed(self, step: str, started: float) -> None:
        self.seconds[step] = round(self.seconds.get(step, 0.0) + time.monotonic() - started, 3)


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, step: str) -> float:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise EvidenceUnavailable(f"backup drill exceeded {self.seconds:g} s before {step}")
        return remaining


def _sql(pg: PgSession, db: str, sql: str, what: str, deadline: _Deadline, read_only: bool = True) -> str:
    result = pg.psql(db, sql, read_only=read_only, timeout_s=min(deadline.left(what), pg.timeout_s * 4))
    if not result.ok:
        raise EvidenceUnavailable(f"{what} on {pg.describe(db)} failed: {result.reason()}")
    return result.text()


def tables(pg: PgSession, db: str, deadline: _Deadline) -> list[bd.TableRef]:
    return bd.parse_tables(_sql(pg, db, bd.TABLES_SQL, f"listing the tables of {db}", deadline))


def checksums(pg: PgSession, db: str, refs: list[bd.TableRef], deadline: _Deadline) -> dict[str, bd.TableSum]:
    return bd.parse_checksums(_sql(pg, db, bd.checksum_sql(refs), f"checksumming the tables of {db}", deadline))


def live_checksums(pg: PgSession, db: str, timeout_s: float) -> dict[str, bd.TableSum]:
    """Checksums of every readable table of a database (read-only): the self-test's before/after."""
    deadline = _Deadline(timeout_s)
    return checksums(pg, db, [t for t in tables(pg, db, deadline) if t.readable], deadline)


def run_drill(pg: PgSession, db: str, maintenance_db: str, prefix: str, timeout_s: float,
              attempts: int) -> DrillFacts:
    deadline = _Deadline(timeout_s)
    facts = DrillFacts(database=db, scratch=scratch_name(prefix, secrets.token_hex(4)), source=pg.describe(db))
    with tempfile.TemporaryDirectory(prefix="nestgate-drill-") as tmp, \
            step(logger, f"backup drill of database {db} (INF-05)") as drill:
        dump = Path(tmp) / f"{db}.dump"
        if not _dump_consistently(pg, db, dump, facts, deadline, attempts, drill) or facts.changed_during_dump:
            drill.result = "stopped: " + ("pg_dump failed" if not facts.dump_ok else "tables changed during the dump")
            return facts
        facts.dump_bytes = dump.stat().st_size
        _restore_and_compare(pg, maintenance_db, dump, facts, deadline, drill)
    return facts


def _dump_consistently(pg: PgSession, db: str, dump: Path, facts: DrillFacts, deadline: _Deadline,
                       attempts: int, drill: Step) -> bool:
    """Dump until the live tables were the same before and after it; False when pg_dump failed."""
    for attempt in range(1, max(1, attempts) + 1):
        facts.attempts = attempt
        drill.note(f"attempt {attempt}: checksumming the live tables")
        started = time.monotonic()
        refs = tables(pg, db, deadline)
        facts.unreadable = [t.qualified for t in refs if not t.readable]
        readable = [t for t in refs if t.readable]
        before = checksums(pg, db, readable, deadline)
        facts.timed("checksum_live", started)
        drill.note(f"attempt {attempt}: pg_dump")
        started = time.monotonic()
        result = pg.dump(db, dump, deadline.left("pg_dump"))
        facts.timed("dump", started)
        facts.dump_exit = result.exit_code
        if not result.ok:
            facts.dump_error = result.reason()
            return False
        facts.dump_ok = True
        drill.note(f"attempt {attempt}: checksumming the live tables again")
        started = time.monotonic()
        after = checksums(pg, db, readable, deadline)
        relisted = {t.qualified for t in tables(pg, db, deadline)}
        facts.timed("checksum_live", started)
        facts.changed_during_dump = sorted(set(bd.changed_tables(before, after))
                                           | (relisted ^ {t.qualified for t in refs}))
        facts.live = before
        if not facts.changed_during_dump:
            return True
    return True


def _restore_and_compare(pg: PgSession, maintenance_db: str, dump: Path, facts: DrillFacts,
                         deadline: _Deadline, drill: Step) -> None:
    scratch = bd.quote_ident(facts.scratch)
    drill.note(f"creating the scratch database {facts.scratch}")
    started = time.monotonic()
    created = pg.psql(maintenance_db, f"CREATE DATABASE {scratch}", read_only=False,
                      timeout_s=deadline.left("creating the scratch database"))
    facts.timed("create", started)
    if not created.ok:
        facts.create_error = created.reason()
        return
    try:
        drill.note(f"pg_restore into {facts.scratch}")
        started = time.monotonic()
        restored = pg.restore(facts.scratch, dump, deadline.left("pg_restore"))
        facts.timed("restore", started)
        facts.restore_ok = restored.ok
        if not restored.ok:
            facts.restore_error = restored.reason()
            return
        drill.note(f"checksumming the tables of {facts.scratch}")
        started = time.monotonic()
        facts.restored = checksums(pg, facts.scratch, tables(pg, facts.scratch, deadline), deadline)
        facts.timed("checksum_restored", started)
    finally:
        drill.note(f"dropping {facts.scratch}")
        _drop(pg, maintenance_db, facts)


def _drop(pg: PgSession, maintenance_db: str, facts: DrillFacts) -> None:
    """Drop the scratch database even after a failure or timeout; FORCE ends a stuck restore."""
    started = time.monotonic()
    name = bd.quote_ident(facts.scratch)
    result = pg.psql(maintenance_db, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", read_only=False)
    if not result.ok and "syntax error" in result.reason():  # PostgreSQL < 13 has no FORCE
        result = pg.psql(maintenance_db, f"DROP DATABASE IF EXISTS {name}", read_only=False)
    left = pg.psql(maintenance_db,
                   f"SELECT count(*) FROM pg_database WHERE datname = {bd.quote_literal(facts.scratch)}")
    facts.dropped = result.ok and left.ok and left.text().strip() == "0"
    facts.drop_error = "" if facts.dropped else (result.reason() if not result.ok else left.reason())
    facts.timed("drop", started)


def scratch_name(prefix: str, token: str) -> str:
    """A scratch database name: the configured prefix plus a run token, safe as an identifier."""
    clean = re.sub(r"[^a-z0-9_]", "_", f"{prefix}_{token}".lower())
    return clean[:63]
