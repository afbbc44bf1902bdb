"""The longest silence of a command: runs it, stamps every output line (stdout and stderr) as it
arrives, and prints the total time, the line count and the longest gap between lines (with the
line that ended it). Issue 18's progress target: nothing long is silent for more than 10 s.

    .venv/bin/python bench/silence.py -- .venv/bin/nestgate testbed up --instance cold

For a cold measurement remove the testbed's images first (`docker images 'nestgate-testbed*'`):
the image cache is the engine's tags, so a fresh engine and an emptied one are equally cold.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

TARGET_S = 10.0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ...")
    args = p.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        p.error("give the command after --")
    started = last = time.monotonic()
    longest, ended_by, lines = 0.0, "", 0
    # stderr into stdout: one pipe keeps the lines in the order they were written.
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            now = time.monotonic()
            lines += 1
            if now - last > longest:
                longest, ended_by = now - last, line.strip()[:120]
            last = now
            sys.stdout.write(f"{now - started:8.1f}s  {line}")
    total = time.monotonic() - started
    print(f"\nexit {proc.returncode}; {total:.1f} s; {lines} lines; longest silence {longest:.1f} s "
          f"(target <= {TARGET_S:g} s: {'met' if longest <= TARGET_S else 'NOT met'}), ended by: {ended_by}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
