"""The faults of issue 20's unshown failure modes: registered, reasons for every control they also
break, and the pg_hba.conf edit of postgres-refuses-connections run for real with sh on a copy of
the image's file (idempotent, and undone to the byte)."""

import subprocess
from pathlib import Path

from nestgate.testbed import faults
from nestgate.testbed.faults import database

NEW = {"critical-test-fails": "BLD-04", "pool-leaks-connections": "PRF-03", "postgres-refuses-connections": "INF-03",
       "app-db-report-down": "INF-03", "memory-over-total": "PRF-04", "runtime-cap-added": "SEC-04",
       "runtime-socket-mount": "SEC-04", "old-secret": "SEC-06"}
IMAGE_HBA = Path(database.__file__).parents[1] / "assets" / "images" / "postgres" / "pg_hba.conf"


def test_the_new_faults_are_registered_with_their_control():
    assert {name: faults.get(name).control for name in NEW} == NEW


def test_every_other_control_a_fault_breaks_comes_with_its_reason():
    assert faults.get("postgres-refuses-connections").controls == {"INF-03", "PRF-03", "INF-05", "INF-09"}
    assert faults.get("app-db-report-down").controls == {"INF-03", "PRF-03"}
    for name in NEW:
        fault = faults.get(name)
        assert fault.control not in fault.also
        assert all(len(why) > 40 for why in fault.also.values()), name


def _sh(script: str, pgdata: Path) -> None:
    subprocess.run(["sh", "-c", script], env={"PGDATA": str(pgdata), "PATH": "/usr/bin:/bin"}, check=True)


def test_the_reject_line_goes_first_once_and_its_removal_restores_the_file(tmp_path):
    hba = tmp_path / "pg_hba.conf"
    hba.write_bytes(IMAGE_HBA.read_bytes())
    _sh(database._ADD, tmp_path)
    _sh(database._ADD, tmp_path)  # a second apply (a re-run hook) adds nothing
    lines = hba.read_text().splitlines()
    assert lines[:2] == [database.MARK, database.REJECT]
    assert lines[2:] == IMAGE_HBA.read_text().splitlines()
    _sh(database._DROP, tmp_path)
    assert hba.read_bytes() == IMAGE_HBA.read_bytes()
