"""INF-09's reads of the live database, through the server's own psql (PgSession, via exec).

Every session runs with default_transaction_read_only, as INF-05's live reads do. The one write
INF-09 can make, CREATE EXTENSION amcheck, runs only when [infra.integrity].create_amcheck says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.data_clients import PgSession
from nestgate.probes.readers import pg_checksums as cs
from nestgate.probes.readers import pg_integrity as sql


def _answer(pg: PgSession, db: str, statement: str, what: str, timeout_s: float) -> str:
    result = pg.psql(db, statement, timeout_s=timeout_s)
    if not result.ok:
        raise EvidenceUnavailable(f"{what} on {pg.describe(db)} failed: {result.reason()}")
    return result.text()


def amcheck_state(pg: PgSession, db: str, timeout_s: float) -> sql.AmcheckState:
    return sql.parse_amcheck_state(_answer(pg, db, sql.AMCHECK_STATE_SQL, "reading the amcheck extension",
                                           timeout_s))


def create_amcheck(pg: PgSession, db: str, timeout_s: float) -> str:
    """CREATE EXTENSION IF NOT EXISTS amcheck (a write, opted into): "" or the server's refusal."""
    result = pg.psql(db, sql.CREATE_AMCHECK_SQL, read_only=False, timeout_s=timeout_s)
    return "" if result.ok else result.reason()


def index_checks(pg: PgSession, db: str, schema: str, heapallindexed: bool,
                 timeout_s: float) -> list[sql.IndexCheck]:
    return sql.parse_index_checks(_answer(pg, db, sql.amcheck_sql(schema, heapallindexed),
                                          "amcheck over the btree indexes", timeout_s))


def fk_checks(pg: PgSession, db: str, timeout_s: float) -> list[sql.FkCheck]:
    return sql.parse_fk_checks(_answer(pg, db, sql.foreign_keys_sql(), "counting foreign-key orphans", timeout_s))


@dataclass
class TableSnapshot:
    """Row count and checksum of every table the role can read; the ones it cannot, by name."""

    database: str
    source: str
    tables: dict[str, cs.TableSum] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)


def table_snapshot(pg: PgSession, db: str, timeout_s: float) -> TableSnapshot:
    refs = cs.parse_tables(_answer(pg, db, cs.TABLES_SQL, f"listing the tables of {db}", timeout_s))
    readable = [t for t in refs if t.readable]
    sums = cs.parse_checksums(_answer(pg, db, cs.checksum_sql(readable), f"checksumming the tables of {db}",
                                      timeout_s))
    return TableSnapshot(db, pg.describe(db), sums, [t.qualified for t in refs if not t.readable])
