"""INF-09 rules: PostgreSQL's own integrity checks hold. amcheck finds every btree index of the
application database consistent with itself and with its table; no foreign key has a child row
whose parent is missing; and no table lost rows between the snapshot `nestgate deploy` takes
before the deploy and the one after it.

A check that could not run is a finding too (fail closed), naming what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from nestgate.probes.readers.pg_checksums import TableSum
from nestgate.probes.readers.pg_integrity import AmcheckState, FkCheck, IndexCheck
from nestgate.rules.findings import Finding

GRANT = "GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO {role}"


def _superuser_fix(db: str, role: str) -> str:
    return (f"a superuser runs `CREATE EXTENSION amcheck; {GRANT.format(role=role)}` in database {db}, "
            "or set [infra.integrity].create_amcheck = true to let nestgate create it (a write)")


def amcheck_ready_findings(subject: str, db: str, role: str, state: AmcheckState, create_allowed: bool,
                           create_error: str) -> list[Finding]:
    """The extension must be installed in the database and its check executable by the role. Read-only
    by default: a missing extension fails, naming the statements that install it."""
    if not state.available:
        return [Finding(subject, "amcheck available", False, True,
                        says="the server has no amcheck extension (PostgreSQL's contrib modules are not "
                             "installed): install them with the server, then create the extension")]
    if state.version is None:
        if not create_allowed:
            return [Finding(subject, "amcheck installed", False, True,
                            says=f"the amcheck extension is not installed in database {db} and nestgate stays "
                                 f"read-only: {_superuser_fix(db, role)}")]
        return [Finding(subject, "amcheck installed", False, True,
                        says=f"CREATE EXTENSION amcheck as role {role} failed ({create_error or 'still missing'}): "
                             f"a superuser runs `CREATE EXTENSION amcheck; {GRANT.format(role=role)}` "
                             f"in database {db}")]
    if not state.can_execute:
        return [Finding(subject, "bt_index_check executable", False, True,
                        says=f"role {role} may not execute amcheck's bt_index_check(regclass, boolean): "
                             f"a superuser runs `{GRANT.format(role=role)}` in database {db}")]
    return []


def index_findings(subject: str, db: str, checks: list[IndexCheck]) -> list[Finding]:
    """Every btree index passed bt_index_check; a database with none checked proves nothing."""
    if not checks:
        return [Finding(subject, "btree indexes checked", 0, "at least 1",
                        says=f"no btree index in the application schemas of database {db}: nothing was checked")]
    return [Finding(f"index {c.index} on table {c.table}", "amcheck", c.error, "no corruption",
                    says=f"bt_index_check failed: {c.error}") for c in checks if not c.ok]


def _state(fk: FkCheck) -> str:
    notes = (["NOT VALID (never validated)"] if not fk.validated else []) + (
        ["its triggers are disabled"] if fk.triggers_disabled else [])
    return f" ({'; '.join(notes)})" if notes else ""


def fk_findings(checks: list[FkCheck]) -> list[Finding]:
    """No child row of any foreign key references a missing parent row; a count that failed fails."""
    found = []
    for fk in checks:
        subject = f"foreign key {fk.constraint} of table {fk.table}"
        if fk.orphans is None:
            found.append(Finding(subject, "orphan rows", None, 0,
                                 says=f"orphan rows could not be counted: {fk.error}"))
        elif fk.orphans:
            found.append(Finding(subject, "orphan rows", fk.orphans, 0,
                                 says=f"{fk.orphans} orphan row(s): {fk.table} ({', '.join(fk.columns)}) references "
                                      f"no row of {fk.parent}{_state(fk)}"))
    return found


@dataclass(frozen=True)
class Loss:
    table: str
    before: int
    after: int | None  # None: the table is gone (or no longer readable)


def lost_rows(before: dict[str, TableSum], after: dict[str, TableSum]) -> list[Loss]:
    """Tables with fewer rows after than before (new tables and changed rows are a deploy's right)."""
    return [Loss(t, s.rows, after[t].rows if t in after else None) for t, s in sorted(before.items())
            if t not in after or after[t].rows < s.rows]


def changed_tables(before: dict[str, TableSum], after: dict[str, TableSum]) -> list[str]:
    """Tables present on both sides whose rows changed (shown, not judged)."""
    return sorted(t for t in before if t in after and before[t] != after[t])


def deploy_findings(db: str, before: dict[str, TableSum], after: dict[str, TableSum]) -> list[Finding]:
    """Around `nestgate deploy`: every table kept at least the rows it had before the deploy."""
    return [Finding(f"table {loss.table}", "rows", loss.after, f">= {loss.before}",
                    says=f"lost rows in the deploy: {loss.before} rows before -> "
                         + (f"{loss.after} after" if loss.after is not None else "table gone or unreadable after")
                         + f" (database {db})")
            for loss in lost_rows(before, after)]
