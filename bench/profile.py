"""Profile one gate run against the reference stack with pyinstrument; prints the call tree.

    .venv/bin/python bench/profile.py security            # the clean stack as it stands
    .venv/bin/python bench/profile.py performance --scale 195 --instance medianest

The tree shows where a run's wall time goes (imports, fixtures, each test, report hooks); use it
before changing anything bench/run.py reports as slow.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nestgate.testbed import Testbed  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gate", choices=["security", "build", "performance", "infra"])
    parser.add_argument("--instance", default="medianest")
    parser.add_argument("--scale", type=int, default=None, help="filler containers (default: leave as is)")
    args = parser.parse_args()
    testbed = Testbed(instance=args.instance)
    if args.scale is not None:
        testbed.up(scale=args.scale)
    return subprocess.call([sys.executable, "-m", "pyinstrument", "-r", "text", "-m", "pytest", "-m", args.gate,
                            "-q", "-p", "no:randomly", f"--target-config={testbed.config_path}",
                            "--no-nestgate-report"], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
