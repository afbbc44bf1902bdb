"""INF-05 rules and readers: table listing and checksum SQL, parsing psql's JSON, comparing live and
restored, the drill's findings step by step."""

import pytest

from nestgate.drills.backup import DrillFacts, scratch_name
from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.pg_checksums import (
    TableRef,
    TableSum,
    changed_tables,
    checksum_sql,
    parse_checksums,
    parse_tables,
    quote_ident,
)
from nestgate.rules.inf05_backup import compare, drill_findings, unreadable_object


def test_checksum_sql_quotes_identifiers_and_literals():
    sql = checksum_sql([TableRef("public", "users"), TableRef("odd", 'we"ird\'s')])
    assert 'FROM "public"."users" AS r' in sql
    assert 'FROM "odd"."we""ird\'s" AS r' in sql
    assert "'odd.we\"ird''s' AS t" in sql
    assert sql.count("UNION ALL") == 1
    assert checksum_sql([]) == "SELECT '[]'"
    assert quote_ident('a"b') == '"a""b"'


def test_parse_tables_and_checksums():
    assert parse_tables('[["public","users",true],["public","audit",false]]') == [
        TableRef("public", "users", True), TableRef("public", "audit", False)]
    assert parse_checksums('[{"t":"public.users","n":4,"s":"-123"}]') == {"public.users": TableSum(4, "-123")}
    with pytest.raises(EvidenceUnavailable, match="not a JSON list"):
        parse_checksums("ERROR: oops")


def test_compare_names_each_difference():
    live = {"a": TableSum(4, "1"), "b": TableSum(2, "2"), "c": TableSum(1, "3")}
    restored = {"a": TableSum(4, "1"), "b": TableSum(1, "9"), "d": TableSum(5, "4")}
    found = [m.describe() for m in compare(live, restored)]
    assert found == ["b: 1 rows restored, 2 live", "c: missing from the restored copy (live has 1 rows)",
                     "d: only in the restored copy (5 rows)"]
    assert [m.describe() for m in compare({"a": TableSum(1, "x")}, {"a": TableSum(1, "y")})] == [
        "a: 1 rows each, but the row checksums differ"]
    assert changed_tables(live, dict(live)) == []


def test_unreadable_object_from_pg_dump_error():
    err = ('pg_dump: error: query failed: ERROR:  permission denied for table audit_log_archive / '
           'pg_dump: detail: Query was: LOCK TABLE public.audit_log_archive IN ACCESS SHARE MODE')
    assert unreadable_object(err) == "audit_log_archive"
    assert unreadable_object("connection refused") is None


def test_scratch_name_is_a_safe_identifier():
    assert scratch_name("nestgate_drill", "a1B2") == "nestgate_drill_a1b2"
    assert scratch_name("my-drill", "x") == "my_drill_x"
    assert len(scratch_name("x" * 80, "t")) == 63


SUBJECT = "backup drill of database medianest as role medianest"


def drill(**changes) -> DrillFacts:
    """A drill that went well, with `changes` applied."""
    live = {"public.users": TableSum(4, "1"), "public.media": TableSum(9, "2")}
    facts = DrillFacts(database="medianest", scratch="nestgate_drill_ab12", source="s", attempts=1, dump_ok=True,
                       dump_exit=0, dump_bytes=4096, restore_ok=True, live=live, restored=dict(live), dropped=True)
    for key, value in changes.items():
        setattr(facts, key, value)
    return facts


def findings(facts: DrillFacts) -> list[tuple[str, str, object, object, str]]:
    return [(f.subject, f.property, f.measured, f.expected, f.sentence) for f in drill_findings(facts, "medianest")]


def test_a_clean_drill_has_no_findings():
    assert drill_findings(drill(), "medianest") == []


def test_each_failed_step_is_one_finding_with_its_message():
    err = "pg_dump: error: query failed: ERROR:  permission denied for table audit_log_archive"
    assert findings(drill(dump_ok=False, dump_exit=1, dump_error=err, unreadable=["public.audit_log_archive"])) == [
        (SUBJECT, "pg_dump exit", 1, 0,
         f"pg_dump failed (exit 1): table audit_log_archive cannot be read by role medianest: {err}")]
    assert findings(drill(dump_ok=False, dump_exit=1, dump_error="connection refused"))[0][4] == (
        "pg_dump failed (exit 1): connection refused")
    assert findings(drill(unreadable=["public.a", "public.b"])) == [
        (SUBJECT, "unreadable tables", ["public.a", "public.b"], [],
         "tables the role cannot read were left out: public.a, public.b")]
    assert findings(drill(attempts=3, changed_during_dump=["public.users"])) == [
        (SUBJECT, "tables changed during pg_dump", ["public.users"], [],
         "live tables kept changing while pg_dump ran (3 attempts): public.users; no consistent comparison")]
    assert findings(drill(create_error="permission denied to create database", dropped=False))[0][1:] == (
        "scratch database created", False, True,
        "cannot create scratch database nestgate_drill_ab12: permission denied to create database")
    assert findings(drill(restore_ok=False, restore_error="out of disk"))[0][4] == (
        "pg_restore into scratch database nestgate_drill_ab12 failed: out of disk")
    assert findings(drill(dropped=False, drop_error="database is being accessed"))[0][1:] == (
        "scratch_dropped", False, True, "scratch database nestgate_drill_ab12 was not dropped: database is being "
        "accessed")


def test_a_restored_copy_that_differs_is_one_finding_naming_every_table():
    restored = {"public.users": TableSum(3, "9"), "public.extra": TableSum(1, "3")}
    [(subject, prop, measured, expected, sentence)] = findings(drill(restored=restored))
    assert (subject, prop, measured, expected) == (SUBJECT, "tables differing",
                                                   ["public.extra", "public.media", "public.users"], [])
    assert sentence == ("the restored copy differs from the live database in 3 table(s): "
                        "public.extra: only in the restored copy (1 rows); "
                        "public.media: missing from the restored copy (live has 9 rows); "
                        "public.users: 3 rows restored, 4 live")


def test_only_the_first_failed_step_is_judged():
    found = drill_findings(drill(dump_ok=False, dump_exit=1, dump_error="x", unreadable=["public.a"], dropped=False),
                           "medianest")
    assert [f.property for f in found] == ["pg_dump exit"]
