"""Where the evidence bundle goes, as a pipeline names it: `--nestgate-bundle=DIR` is exactly DIR (the CI
recipes rely on it), `--nestgate-report=DIR` keeps its timestamped sub-folder. A real gate run of the fixture
suite (real pytest and plugin, stub controls), every control passing."""

from __future__ import annotations

import re
from pathlib import Path

from nestgate.gate.bundle import verify_bundle
from selftest.fixture_suite import bundles, run_suite, write_suite

BUNDLE_FILES = {"report.html", "junit.xml", "findings.sarif", "manifest.json", "SHA256SUMS"}


def test_nestgate_bundle_writes_exactly_there_creating_parents(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "suite")
    target = tmp_path / "ci" / "nestgate-evidence"  # neither folder exists yet
    proc = run_suite(root, ["-m", "security", f"--nestgate-bundle={target}"], env={"GITHUB_ACTIONS": "",
                                                                                   "GITLAB_CI": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {p.name for p in target.iterdir()} >= BUNDLE_FILES, sorted(p.name for p in target.iterdir())
    verify_bundle(target)
    assert f"nestgate evidence: {target} (manifest verified)" in proc.stdout
    assert not bundles(root)  # nothing under the default reports/


def test_nestgate_bundle_refuses_a_folder_that_holds_anything(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "suite")
    target = tmp_path / "evidence"
    target.mkdir()
    (target / "junit.xml").write_text("an earlier run's\n")
    proc = run_suite(root, ["-m", "security", f"--nestgate-bundle={target}"])
    assert proc.returncode == 4, proc.stdout + proc.stderr  # usage error: before any control runs
    assert f"ERROR: report directory {target} is not empty: evidence is never overwritten" in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr and "passed" not in proc.stdout
    assert [p.name for p in target.iterdir()] == ["junit.xml"]
    assert (target / "junit.xml").read_text() == "an earlier run's\n"


def test_nestgate_bundle_and_nestgate_report_together_are_refused(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "suite")
    exact, parent = tmp_path / "exact", tmp_path / "parent"
    proc = run_suite(root, ["-m", "security", f"--nestgate-bundle={exact}", f"--nestgate-report={parent}"])
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert (f"ERROR: --nestgate-bundle={exact} and --nestgate-report={parent} both say where the evidence "
            "bundle goes: give one") in proc.stderr
    assert not exact.exists() and not parent.exists()


def test_nestgate_report_keeps_its_timestamped_folder(tmp_path: Path) -> None:
    root = write_suite(tmp_path / "suite")
    parent = tmp_path / "reports-here"
    proc = run_suite(root, ["-m", "security", f"--nestgate-report={parent}"], env={"GITHUB_ACTIONS": "",
                                                                                   "GITLAB_CI": ""})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [bundle] = list(parent.iterdir())
    assert re.fullmatch(r"\d{8}T\d{6}Z-security", bundle.name), bundle.name
    assert {p.name for p in bundle.iterdir()} >= BUNDLE_FILES
