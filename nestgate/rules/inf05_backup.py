"""INF-05 rules: how a restored copy differs from the live database, table by table, and which
object a pg_dump permission error names. The drill itself is nestgate/drills/backup.py."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nestgate.probes.readers.pg_checksums import TableSum, changed_tables


@dataclass(frozen=True)
class Mismatch:
    table: str
    live: TableSum | None
    restored: TableSum | None

    def describe(self) -> str:
        if self.restored is None:
            rows = self.live.rows if self.live is not None else 0
            return f"{self.table}: missing from the restored copy (live has {rows} rows)"
        if self.live is None:
            return f"{self.table}: only in the restored copy ({self.restored.rows} rows)"
        if self.live.rows != self.restored.rows:
            return f"{self.table}: {self.restored.rows} rows restored, {self.live.rows} live"
        return f"{self.table}: {self.live.rows} rows each, but the row checksums differ"


def compare(live: dict[str, TableSum], restored: dict[str, TableSum]) -> list[Mismatch]:
    return [Mismatch(t, live.get(t), restored.get(t)) for t in changed_tables(live, restored)]


_DENIED = re.compile(r"permission denied for (?:table|relation|sequence|view|schema) \"?([\w.$]+)\"?")


def unreadable_object(pg_error: str) -> str | None:
    """The object a `permission denied for table X` error names, if any."""
    match = _DENIED.search(pg_error)
    return match.group(1) if match else None
