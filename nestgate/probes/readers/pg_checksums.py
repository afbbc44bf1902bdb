"""The SQL that lists and checksums a database's tables, and its answers read back.

A table's checksum is order-independent: the sum, as a big number, of the first 64 bits of the
md5 of each row's text form. It needs no sort and no memory per row, and counts duplicate rows.
Sessions run with TimeZone UTC and ISO dates, so timestamps print alike in both databases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nestgate.errors import EvidenceUnavailable

# Ordinary tables (partitions included, partitioned parents excluded: their rows are the
# partitions'), outside the system schemas, that no extension owns (CREATE EXTENSION refills those).
TABLES_SQL = """
SELECT coalesce(json_agg(json_build_array(n.nspname, c.relname, has_table_privilege(c.oid, 'SELECT'))
                ORDER BY n.nspname, c.relname), '[]')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_%'
  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                  AND d.objid = c.oid AND d.deptype = 'e')
""".strip()


@dataclass(frozen=True)
class TableRef:
    schema: str
    name: str
    readable: bool = True

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True)
class TableSum:
    rows: int
    checksum: str


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def checksum_sql(tables: list[TableRef]) -> str:
    """One statement answering a JSON array of {t, n, s}: table, row count, checksum."""
    if not tables:
        return "SELECT '[]'"
    parts = [
        f"SELECT {quote_literal(t.qualified)} AS t, count(*) AS n, "
        f"coalesce(sum(('x' || left(md5(r::text), 16))::bit(64)::bigint), 0)::text AS s "
        f"FROM {quote_ident(t.schema)}.{quote_ident(t.name)} AS r"
        for t in tables
    ]
    return "SELECT coalesce(json_agg(x), '[]') FROM (\n" + "\nUNION ALL\n".join(parts) + "\n) AS x"


def _json(text: str, what: str) -> list:
    try:
        value = json.loads(text.strip() or "null")
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list):
        raise EvidenceUnavailable(f"{what}: psql answered something that is not a JSON list: {text.strip()[:120]!r}")
    return value


def parse_tables(text: str) -> list[TableRef]:
    return [TableRef(str(s), str(n), bool(r)) for s, n, r in _json(text, "table list")]


def parse_checksums(text: str) -> dict[str, TableSum]:
    return {str(e["t"]): TableSum(int(e["n"]), str(e["s"])) for e in _json(text, "table checksums")}


def changed_tables(before: dict[str, TableSum], after: dict[str, TableSum]) -> list[str]:
    """Tables whose rows changed (or that appeared or vanished) between two checksum passes."""
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))
