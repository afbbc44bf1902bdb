"""INF-05 logic: table listing and checksum SQL, parsing psql's JSON, comparing live and restored."""

import pytest

from nestgate.drills.backup import scratch_name
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
from nestgate.rules.inf05_backup import compare, unreadable_object


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
