"""The newcomer's demo: bring up the reference stack, run the gates against it, show the verdict."""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys

from nestgate.catalog import GATES
from nestgate.paths import project_dir, suites_root
from nestgate.progress import step
from nestgate.run_command import pytest_args

logger = logging.getLogger(__name__)


def run_demo(gates: list[str] | None = None) -> int:
    from nestgate.testbed import Testbed

    selected = gates or list(GATES)
    root = suites_root()  # before the stack comes up: without the suites there is no demo
    testbed = Testbed()
    print("nestgate demo: bringing up the reference stack (first run builds images: a few minutes)")
    with step(logger, "demo: testbed up", interval=None):  # its own steps log, with heartbeats
        testbed.up()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    home = project_dir()  # the checkout, or the working directory of an installed nestgate
    out = home / "reports" / f"{stamp}-{'-'.join(selected)}"
    # The evidence bundle (report.html, junit.xml, evidence.json, manifest.json) goes into `out`.
    shown = ["-m", " or ".join(selected), f"--target-config={testbed.config_path}", f"--nestgate-bundle={out}"]
    argv = [sys.executable, "-m", "pytest", *pytest_args(shown, root, home, {})]
    print("nestgate demo: running", " ".join(shown))
    with step(logger, f"demo: the {', '.join(selected)} gate run", interval=None):  # pytest prints as it goes
        rc = subprocess.call(argv, cwd=home)
    print(f"nestgate demo: report {out / 'report.html'} (bundle: {out}, hashes in manifest.json)")
    print(f"nestgate demo: verdict {'GO' if rc == 0 else 'NO-GO'} (pytest exit status {rc})")
    return rc
