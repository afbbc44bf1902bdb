"""INF-09: the readers of psql's answers, the rules (amcheck ready, index and foreign-key findings, rows
lost across a deploy) and when `nestgate deploy` takes its before/after snapshot."""

from __future__ import annotations

import json

import pytest

from nestgate.deploy_integrity import selected
from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.pg_checksums import TableSum
from nestgate.probes.readers.pg_integrity import (
    AmcheckState,
    amcheck_sql,
    foreign_keys_sql,
    parse_amcheck_state,
    parse_fk_checks,
    parse_index_checks,
)
from nestgate.rules.findings import message
from nestgate.rules.inf09_data_integrity import (
    amcheck_ready_findings,
    deploy_findings,
    fk_findings,
    index_findings,
    lost_rows,
)

READY = AmcheckState(True, "1.3", "public", True)


def _fk(orphans: int | None, validated: bool = True, disabled: bool = False, error: str = "") -> dict:
    return {"constraint": "media_requests_user_id_fkey", "table": "public.media_requests", "parent": "public.users",
            "columns": ["user_id"], "validated": validated, "triggers_disabled": disabled, "orphans": orphans,
            "error": error}


def test_readers_take_the_last_line_psql_printed_and_refuse_anything_else():
    state = parse_amcheck_state('{"available": true, "version": null, "schema": null, "can_execute": null}')
    assert state == AmcheckState(True, None, None, None)
    [ix] = parse_index_checks('\n[{"index": "public.i", "table": "public.t", "ok": false, "error": "bad"}]\n')
    assert (ix.index, ix.ok, ix.error) == ("public.i", False, "bad")
    [fk] = parse_fk_checks(json.dumps([_fk(None, error="permission denied for table t")]))
    assert fk.orphans is None and fk.columns == ("user_id",)
    with pytest.raises(EvidenceUnavailable, match="not JSON"):
        parse_index_checks("ERROR:  something")
    with pytest.raises(EvidenceUnavailable):
        parse_amcheck_state("[]")  # a list where an object belongs


def test_the_sql_checks_each_object_under_its_own_handler_and_reads_the_answer_in_the_same_session():
    for sql in (amcheck_sql("my schema", True), foreign_keys_sql()):
        assert sql.count("EXCEPTION WHEN OTHERS") == 1 and sql.rstrip().endswith("current_setting('nestgate.inf09')")
    assert '"my schema".bt_index_check(r.oid, true)' in amcheck_sql("my schema", True)
    assert "bt_index_check(r.oid, false)" in amcheck_sql("public", False)
    assert "NOT EXISTS" in foreign_keys_sql() and "conparentid = 0" in foreign_keys_sql()


@pytest.mark.parametrize(("state", "allowed", "error", "fragment"), [
    (AmcheckState(False, None, None, None), False, "", "contrib modules are not installed"),
    (AmcheckState(True, None, None, None), False, "", "not installed in database medianest and nestgate stays "
                                                      "read-only: a superuser runs `CREATE EXTENSION amcheck; "
                                                      "GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) "
                                                      "TO medianest`"),
    (AmcheckState(True, None, None, None), True, "permission denied to create extension \"amcheck\"",
     "CREATE EXTENSION amcheck as role medianest failed (permission denied"),
    (AmcheckState(True, "1.3", "public", False), False, "", "may not execute amcheck's bt_index_check"),
])
def test_amcheck_not_ready_fails_naming_why_and_the_fix(state, allowed, error, fragment):
    found = amcheck_ready_findings("database medianest", "medianest", "medianest", state, allowed, error)
    assert len(found) == 1 and fragment in message(found)
    assert amcheck_ready_findings("database medianest", "medianest", "medianest", READY, False, "") == []


def test_index_findings_name_each_failed_index_and_an_empty_database_proves_nothing():
    lacks = 'heap tuple (0,1) from table "b" lacks matching index tuple within index "b_idx"'
    checks = parse_index_checks(json.dumps([
        {"index": "public.a_pkey", "table": "public.a", "ok": True, "error": ""},
        {"index": "public.b_idx", "table": "public.b", "ok": False, "error": lacks},
    ]))
    [found] = index_findings("database d", "d", checks)
    assert str(found) == ('index public.b_idx on table public.b: bt_index_check failed: heap tuple (0,1) from table '
                          '"b" lacks matching index tuple within index "b_idx"')
    assert "nothing was checked" in message(index_findings("database d", "d", []))
    assert index_findings("database d", "d", checks[:1]) == []


def test_fk_findings_count_orphans_and_say_how_the_key_let_them_in():
    assert fk_findings(parse_fk_checks(json.dumps([_fk(0)]))) == []
    [orphan] = fk_findings(parse_fk_checks(json.dumps([_fk(2, validated=False, disabled=True)])))
    assert str(orphan) == ("foreign key media_requests_user_id_fkey of table public.media_requests: 2 orphan row(s): "
                           "public.media_requests (user_id) references no row of public.users (NOT VALID (never "
                           "validated); its triggers are disabled)")
    [unknown] = fk_findings(parse_fk_checks(json.dumps([_fk(None, error="permission denied for table t")])))
    assert "could not be counted: permission denied for table t" in str(unknown)


def test_a_table_that_lost_rows_fails_and_new_or_changed_rows_do_not():
    before = {"public.a": TableSum(5, "1"), "public.b": TableSum(3, "2"), "public.c": TableSum(1, "3")}
    after = {"public.a": TableSum(0, "0"), "public.b": TableSum(4, "9"), "public.new": TableSum(7, "4")}
    lost = [(x.table, x.before, x.after) for x in lost_rows(before, after)]
    assert lost == [("public.a", 5, 0), ("public.c", 1, None)]
    found = deploy_findings("medianest", before, after)
    assert [str(f) for f in found] == [
        "table public.a: lost rows in the deploy: 5 rows before -> 0 after (database medianest)",
        "table public.c: lost rows in the deploy: 1 rows before -> table gone or unreadable after (database medianest)"]
    assert deploy_findings("medianest", before, {**before, "public.b": TableSum(3, "changed")}) == []


@pytest.mark.parametrize(("gates", "controls", "runs"), [
    (["infra"], [], True), (["infra"], ["INF-09"], True), (["infra"], ["INF-04", "INF-06"], False),
    (["security"], [], False), (["security", "infra"], ["INF-09", "SEC-01"], True),
])
def test_the_deploy_compares_before_and_after_only_when_its_post_deploy_gate_runs_inf09(gates, controls, runs):
    assert selected(gates, controls) is runs
