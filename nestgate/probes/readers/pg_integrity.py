"""The SQL of INF-09's checks (amcheck over btree indexes, orphan rows per foreign key) and their
answers read back.

Each check is one read-only psql call: a DO block loops over the indexes (or foreign keys), runs
each check under its own exception handler (a corrupt index raises an ERROR, which must not hide
the others), collects a JSON array, and hands it to the next statement of the same session through
a custom setting. A DO block returns nothing itself, and creating a helper function would write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.pg_checksums import quote_ident

RESULT_SETTING = "nestgate.inf09"
# Schemas of the application: everything but the system's (pg_toast, pg_temp_N, catalogs).
_APP_SCHEMA = "{n}.nspname NOT IN ('pg_catalog', 'information_schema') AND {n}.nspname NOT LIKE 'pg\\_%'"

AMCHECK_STATE_SQL = """
SELECT json_build_object(
  'available', EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck'),
  'version', (SELECT extversion FROM pg_extension WHERE extname = 'amcheck'),
  'schema', (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
             WHERE e.extname = 'amcheck'),
  'can_execute', (SELECT has_function_privilege(p.oid, 'EXECUTE') FROM pg_proc p
                  JOIN pg_extension e ON e.extname = 'amcheck'
                  JOIN pg_depend d ON d.objid = p.oid AND d.refobjid = e.oid AND d.deptype = 'e'
                  WHERE p.proname = 'bt_index_check' AND p.pronargs = 2))
""".strip()

CREATE_AMCHECK_SQL = "CREATE EXTENSION IF NOT EXISTS amcheck"


@dataclass(frozen=True)
class AmcheckState:
    available: bool  # the server has the extension's files (contrib)
    version: str | None  # installed in the database
    schema: str | None
    can_execute: bool | None  # bt_index_check(regclass, boolean) is executable by the session's role


@dataclass(frozen=True)
class IndexCheck:
    index: str  # schema.name
    table: str
    ok: bool
    error: str


@dataclass(frozen=True)
class FkCheck:
    constraint: str
    table: str  # the referencing (child) table
    parent: str
    columns: tuple[str, ...]
    validated: bool  # false: added NOT VALID, never validated
    triggers_disabled: bool  # its RI triggers are disabled (ALTER TABLE ... DISABLE TRIGGER ALL)
    orphans: int | None  # None: the count failed (error says why)
    error: str


def _collect(loop: str) -> str:
    """A DO block running `loop` (which appends to `out`), then the statement that answers `out`."""
    return (f"DO $nestgate$\nDECLARE\n  r record;\n  n bigint;\n  out jsonb := '[]';\nBEGIN\n{loop}\n"
            f"  PERFORM set_config('{RESULT_SETTING}', out::text, false);\nEND\n$nestgate$;\n"
            f"SELECT current_setting('{RESULT_SETTING}')")


def amcheck_sql(schema: str, heapallindexed: bool) -> str:
    """bt_index_check on every valid btree index of the application's schemas (partitioned parents
    have no storage of their own: their partitions' indexes are checked)."""
    check = f"{quote_ident(schema)}.bt_index_check(r.oid, {'true' if heapallindexed else 'false'})"
    loop = f"""
  FOR r IN
    SELECT ic.oid, quote_ident(n.nspname) || '.' || quote_ident(ic.relname) AS idx,
           quote_ident(tn.nspname) || '.' || quote_ident(tc.relname) AS tbl, i.indisvalid AS valid
    FROM pg_index i
    JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace
    JOIN pg_class tc ON tc.oid = i.indrelid JOIN pg_namespace tn ON tn.oid = tc.relnamespace
    JOIN pg_am a ON a.oid = ic.relam
    WHERE a.amname = 'btree' AND ic.relkind = 'i' AND ic.relpersistence <> 't' AND {_APP_SCHEMA.format(n="n")}
    ORDER BY n.nspname, ic.relname
  LOOP
    IF NOT r.valid THEN
      out := out || jsonb_build_object('index', r.idx, 'table', r.tbl, 'ok', false,
        'error', 'marked invalid (pg_index.indisvalid = false), so never used or checked: REINDEX it');
      CONTINUE;
    END IF;
    BEGIN
      PERFORM {check};
      out := out || jsonb_build_object('index', r.idx, 'table', r.tbl, 'ok', true, 'error', '');
    EXCEPTION WHEN OTHERS THEN
      out := out || jsonb_build_object('index', r.idx, 'table', r.tbl, 'ok', false, 'error', SQLERRM);
    END;
  END LOOP;"""
    return _collect(loop)


def foreign_keys_sql() -> str:
    """Per foreign key of the application's schemas: child rows (all key columns set, as MATCH
    SIMPLE checks) whose parent row is missing. A plain anti-join, so it counts what the constraint
    should have refused even when it is NOT VALID or its triggers are disabled. Constraints cloned
    onto partitions (conparentid <> 0) are counted once, on their parent."""
    loop = f"""
  FOR r IN
    SELECT c.conname, c.convalidated,
           EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgconstraint = c.oid AND t.tgenabled = 'D') AS disabled,
           quote_ident(cn.nspname) || '.' || quote_ident(cl.relname) AS child, cl.relkind AS child_kind,
           quote_ident(pn.nspname) || '.' || quote_ident(pl.relname) AS parent, pl.relkind AS parent_kind,
           (SELECT array_agg(a.attname ORDER BY k.o) FROM unnest(c.conkey) WITH ORDINALITY AS k(num, o)
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.num) AS ccols,
           (SELECT array_agg(a.attname ORDER BY k.o) FROM unnest(c.confkey) WITH ORDINALITY AS k(num, o)
            JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.num) AS pcols
    FROM pg_constraint c
    JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_namespace cn ON cn.oid = cl.relnamespace
    JOIN pg_class pl ON pl.oid = c.confrelid JOIN pg_namespace pn ON pn.oid = pl.relnamespace
    WHERE c.contype = 'f' AND c.conparentid = 0 AND {_APP_SCHEMA.format(n="cn")}
    ORDER BY cn.nspname, cl.relname, c.conname
  LOOP
    BEGIN
      EXECUTE format('SELECT count(*) FROM %s %s AS ch WHERE %s AND NOT EXISTS (SELECT 1 FROM %s %s AS pa WHERE %s)',
        CASE WHEN r.child_kind = 'p' THEN '' ELSE 'ONLY' END, r.child,
        (SELECT string_agg(format('ch.%I IS NOT NULL', r.ccols[i]), ' AND ') FROM generate_subscripts(r.ccols, 1) i),
        CASE WHEN r.parent_kind = 'p' THEN '' ELSE 'ONLY' END, r.parent,
        (SELECT string_agg(format('pa.%I = ch.%I', r.pcols[i], r.ccols[i]), ' AND ')
         FROM generate_subscripts(r.ccols, 1) i)) INTO n;
      out := out || jsonb_build_object('constraint', r.conname, 'table', r.child, 'parent', r.parent,
        'columns', r.ccols, 'validated', r.convalidated, 'triggers_disabled', r.disabled, 'orphans', n, 'error', '');
    EXCEPTION WHEN OTHERS THEN
      out := out || jsonb_build_object('constraint', r.conname, 'table', r.child, 'parent', r.parent,
        'columns', r.ccols, 'validated', r.convalidated, 'triggers_disabled', r.disabled, 'orphans', NULL,
        'error', SQLERRM);
    END;
  END LOOP;"""
    return _collect(loop)


def _json(text: str, what: str, kind: type) -> object:
    # psql prints the answer of the last statement; the DO block's notices go to stderr.
    lines = [ln for ln in text.splitlines() if ln.strip()]
    try:
        value = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, kind):
        raise EvidenceUnavailable(f"{what}: psql answered something that is not JSON: {text.strip()[:120]!r}")
    return value


def parse_amcheck_state(text: str) -> AmcheckState:
    d = _json(text, "amcheck extension state", dict)
    assert isinstance(d, dict)
    can = d.get("can_execute")
    return AmcheckState(bool(d.get("available")), d.get("version"), d.get("schema"),
                        None if can is None else bool(can))


def parse_index_checks(text: str) -> list[IndexCheck]:
    rows = _json(text, "amcheck results", list)
    assert isinstance(rows, list)
    return [IndexCheck(str(e["index"]), str(e["table"]), bool(e["ok"]), str(e.get("error") or "")) for e in rows]


def parse_fk_checks(text: str) -> list[FkCheck]:
    rows = _json(text, "foreign key orphan counts", list)
    assert isinstance(rows, list)
    return [FkCheck(str(e["constraint"]), str(e["table"]), str(e["parent"]), tuple(e.get("columns") or ()),
                    bool(e["validated"]), bool(e["triggers_disabled"]),
                    None if e.get("orphans") is None else int(e["orphans"]), str(e.get("error") or ""))
            for e in rows]
