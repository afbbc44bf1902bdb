"""The newcomer's demo: bring up the reference stack, run the gates against it, show the verdict."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
from pathlib import Path

from nestgate.catalog import GATES
from nestgate.progress import step

PROJECT_ROOT = Path(__file__).resolve().parents[1]
logger = logging.getLogger(__name__)


def run_demo(gates: list[str] | None = None) -> int:
    from nestgate.testbed import Testbed

    selected = gates or list(GATES)
    testbed = Testbed()
    print("nestgate demo: bringing up the reference stack (first run builds images: a few minutes)")
    with step(logger, "demo: testbed up", interval=None):  # its own steps log, with heartbeats
        testbed.up()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = PROJECT_ROOT / "reports" / f"{stamp}-{'-'.join(selected)}"
    # The evidence bundle (report.html, junit.xml, evidence.json, manifest.json) goes into `out`.
    argv = [sys.executable, "-m", "pytest", "-m", " or ".join(selected),
            f"--target-config={testbed.config_path}", f"--nestgate-bundle={out}"]
    print("nestgate demo: running", " ".join(argv[3:]))
    with step(logger, f"demo: the {', '.join(selected)} gate run", interval=None):  # pytest prints as it goes
        rc = subprocess.call(argv, cwd=PROJECT_ROOT)
    print(f"nestgate demo: report {out / 'report.html'} (bundle: {out}, hashes in manifest.json)")
    print(f"nestgate demo: verdict {'GO' if rc == 0 else 'NO-GO'} (pytest exit status {rc})")
    return rc
