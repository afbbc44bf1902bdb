"""INF-09 against the real reference stack: the clean stack passes with its evidence (indexes checked,
foreign keys checked, tables); each seeded integrity fault fails it naming the index, or the key and
its orphan count; and `nestgate deploy` with INF-09 in its post-deploy gate fails a deploy that
empties a table, naming the table and its rows before -> after (and passes one that does not).
The two database faults are also held to "INF-09 only, all four gates" by the exclusivity matrix."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest

from nestgate.gate.bundle import verify_bundle, verify_tree_manifest
from nestgate.probes.readers.pg_checksums import quote_literal
from selftest.fixture_suite import run_deploy
from selftest.gaterun import ROOT, GateRun, run_gates

INF09 = ["-m", "infra", "--nestgate-controls=INF-09"]
AMCHECK, ORPHANS = "test_btree_indexes_pass_amcheck[INF-09]", "test_foreign_keys_have_no_orphan_rows[INF-09]"
EMPTIED = "service_status"  # a seeded table nothing in the app reads or writes
NO_ROLLBACK = 14


def _outcome(run: GateRun, test: str):
    [o] = [o for o in run.outcomes.values() if o.nodeid.endswith(test)]
    return o


def test_clean_stack_passes_inf09_with_its_evidence(testbed):
    run = run_gates(INF09, testbed.config_path)
    assert run.returncode == 0, run.output[-3000:]
    amcheck, orphans = _outcome(run, AMCHECK), _outcome(run, ORPHANS)
    assert (amcheck.outcome, orphans.outcome) == ("passed", "passed"), run.output[-3000:]
    checked = amcheck.evidence["measured"]
    assert checked["indexes_checked"] >= 10 and checked["indexes_failed"] == []  # the seed's pkeys and uniques
    assert "public.users" in checked["tables"] and checked["amcheck_version"]
    keys = orphans.evidence["measured"]
    assert keys["foreign_keys_checked"] == 3 and set(keys["orphans"].values()) == {0}
    assert keys["tables"] == ["public.media_requests", "public.session_tokens", "public.youtube_downloads"]


@pytest.mark.parametrize(("fault", "test", "fragments"), [
    ("index-disagrees-with-table", AMCHECK,
     ["index public.media_requests_title_sort_idx on table public.media_requests: bt_index_check failed",
      "lacks matching index tuple within index \"media_requests_title_sort_idx\""]),
    ("orphan-row", ORPHANS,
     ["foreign key media_requests_user_id_fkey of table public.media_requests: 1 orphan row(s)",
      "references no row of public.users (NOT VALID (never validated))"]),
])
def test_each_integrity_fault_fails_inf09_naming_what_broke(testbed, fault, test, fragments):
    with testbed.fault(fault):
        run = run_gates(INF09, testbed.config_path)
    assert run.returncode != 0
    failed = {o.nodeid.rsplit("::", 1)[-1] for o in run.outcomes.values() if o.outcome == "failed"}
    assert failed == {test}, run.output[-3000:]
    message = _outcome(run, test).message
    assert all(f in message for f in fragments), message
    # removed: the same checks pass again
    assert run_gates(INF09, testbed.config_path).returncode == 0


def _rows(testbed) -> str:
    return testbed.psql_superuser(f"SELECT coalesce(json_agg(t ORDER BY id), '[]') FROM public.{EMPTIED} t",
                                  tuples_only=True).strip()


def _deploy(testbed, tmp_path: Path, sql: str):
    """A deploy whose command runs `sql` as the superuser (the "release"); INF-09 as its post-deploy gate."""
    command = [sys.executable, "-c", f"from nestgate.testbed import Testbed; "
               f"Testbed({testbed.instance!r}).psql_superuser({sql!r})"]
    proc = run_deploy(["--suite", str(ROOT), "--reports", str(tmp_path / "reports"),
                       f"--target-config={testbed.config_path}", "--gate", "infra", "--control", "INF-01",
                       "--post-gate", "INF-09", "--post-gate-deadline", "0", "--", *command],
                      timeout_s=900, cwd=ROOT)
    [folder] = (tmp_path / "reports").glob("*-deploy-infra")
    return proc, folder, json.loads((folder / "deploy.json").read_text())


def test_a_deploy_that_keeps_every_row_passes_the_before_after_check(testbed, tmp_path):
    proc, folder, record = _deploy(testbed, tmp_path, "SELECT 1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [s["name"] for s in record["steps"]] == ["gate", "integrity-before", "deploy", "post-gate-1"]
    before = json.loads((folder / "integrity-before.json").read_text())
    assert before["tables"][f"public.{EMPTIED}"]["rows"] == 3
    after = json.loads((folder / "integrity-post-gate-1.json").read_text())
    assert after["control_id"] == "INF-09" and after["passed"] and after["measured"]["tables_compared"] == 6
    assert {r["control_id"] for r in verify_bundle(folder / "post-gate-1")["controls"]} == {"INF-09"}
    assert {"integrity-before.json", "integrity-post-gate-1.json"} <= set(verify_tree_manifest(folder)["files"])


def test_a_deploy_that_empties_a_table_fails_the_post_deploy_gate(testbed, tmp_path):
    saved = _rows(testbed)
    assert json.loads(saved), f"{EMPTIED} has no rows to lose"
    try:
        proc, folder, record = _deploy(testbed, tmp_path, f"DELETE FROM public.{EMPTIED}")
    finally:
        testbed.psql_superuser(f"INSERT INTO public.{EMPTIED} SELECT * FROM json_populate_recordset("
                               f"NULL::public.{EMPTIED}, {quote_literal(saved)}) "
                               f"WHERE NOT EXISTS (SELECT 1 FROM public.{EMPTIED})")
    assert _rows(testbed) == saved  # put back exactly
    out = proc.stdout + proc.stderr
    assert proc.returncode == NO_ROLLBACK, out
    lost = f"INF-09: table public.{EMPTIED}: lost rows in the deploy: 3 rows before -> 0 after (database "
    assert lost in out
    post = next(s for s in record["steps"] if s["name"] == "post-gate-1")
    assert any(p.startswith(lost) for p in post["problems"]), post["problems"]
    evidence = json.loads((folder / "integrity-post-gate-1.json").read_text())
    assert evidence["passed"] is False and evidence["measured"]["after"][f"public.{EMPTIED}"]["rows"] == 0
    assert [f["subject"] for f in evidence["findings"]] == [f"table public.{EMPTIED}"]


def test_without_amcheck_inf09_fails_closed_naming_the_fix_and_creates_it_only_when_allowed(testbed, beside_testbed):
    """Read-only by default: no extension, a failure naming the statements. create_amcheck = true: the
    role creates it (amcheck is trusted in the testbed image), and still may not run the check until a
    superuser grants it: the next failure names that grant."""
    data = tomllib.loads(testbed.config_path.read_text())
    data.setdefault("infra", {})["integrity"] = {"create_amcheck": True}
    allowed = beside_testbed(data, "inf09-create-amcheck")
    testbed.psql_superuser("DROP EXTENSION amcheck")
    try:
        read_only = run_gates(INF09, testbed.config_path)
        installed_after_read_only = testbed.psql_superuser(
            "SELECT count(*) FROM pg_extension WHERE extname = 'amcheck'", tuples_only=True).strip()
        creating = run_gates(INF09, allowed)
    finally:  # as the image's init does: the role owns the extension (INF-05 recreates it in its scratch database)
        testbed.psql_superuser("SET ROLE medianest; CREATE EXTENSION IF NOT EXISTS amcheck; RESET ROLE; "
                               "GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO medianest")
    assert installed_after_read_only == "0"  # the read-only run wrote nothing
    message = _outcome(read_only, AMCHECK).message
    assert "the amcheck extension is not installed in database medianest and nestgate stays read-only" in message
    assert "GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO medianest" in message
    assert _outcome(read_only, ORPHANS).outcome == "passed"  # the orphan count needs no extension
    created = _outcome(creating, AMCHECK)
    assert "CREATE EXTENSION IF NOT EXISTS amcheck as medianest" in " ".join(created.evidence["sources"])
    assert "role medianest may not execute amcheck's bt_index_check(regclass, boolean): a superuser runs " \
           "`GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO medianest`" in created.message
    assert run_gates(INF09, testbed.config_path).returncode == 0  # put back
