"""INF-05 rules: the backup drill dumped every table consistently, restored it into a scratch
database that was dropped afterwards, and the restored copy equals the live database table by
table; which object a pg_dump permission error names. The drill itself is nestgate/drills/backup.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nestgate.probes.readers.pg_checksums import TableSum, changed_tables
from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.drills.backup import DrillFacts


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


def drill_findings(facts: DrillFacts, role: str) -> list[Finding]:
    """The drill's steps in order; the first that did not hold is the finding (the later steps
    did not run, or have nothing to judge)."""
    subject = f"backup drill of database {facts.database} as role {role}"
    if not facts.dump_ok:
        table = unreadable_object(facts.dump_error)
        unreadable = f"table {table} cannot be read by role {role}: " if table else ""
        return [Finding(subject, "pg_dump exit", facts.dump_exit, 0,
                        says=f"pg_dump failed (exit {facts.dump_exit}): {unreadable}{facts.dump_error}")]
    if facts.unreadable:
        return [Finding(subject, "unreadable tables", facts.unreadable, [],
                        says=f"tables the role cannot read were left out: {', '.join(facts.unreadable)}")]
    if facts.changed_during_dump:
        return [Finding(subject, "tables changed during pg_dump", facts.changed_during_dump, [],
                        says=f"live tables kept changing while pg_dump ran ({facts.attempts} attempts): "
                             f"{', '.join(facts.changed_during_dump)}; no consistent comparison")]
    if facts.create_error:
        return [Finding(subject, "scratch database created", False, True,
                        says=f"cannot create scratch database {facts.scratch}: {facts.create_error}")]
    if not facts.restore_ok:
        return [Finding(subject, "pg_restore succeeded", False, True,
                        says=f"pg_restore into scratch database {facts.scratch} failed: {facts.restore_error}")]
    if not facts.dropped:
        return [Finding(subject, "scratch_dropped", False, True,
                        says=f"scratch database {facts.scratch} was not dropped: {facts.drop_error}")]
    mismatches = compare(facts.live, facts.restored)
    if mismatches:
        return [Finding(subject, "tables differing", [m.table for m in mismatches], [],
                        says=f"the restored copy differs from the live database in {len(mismatches)} table(s): "
                             + "; ".join(m.describe() for m in mismatches))]
    return []
