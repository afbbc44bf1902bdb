"""`nestgate run [PYTEST ARGS...]`: the gates from any directory, whether nestgate is installed from a
wheel or runs from its checkout: pytest on the gate suites (nestgate/paths.py) with the nestgate
plugin and the suites' own pytest settings. What the plugin would look for in the root dir comes from
the working directory instead: nestgate.toml (unless --target-config or $NESTGATE_CONFIG says
otherwise) and reports/ (unless --nestgate-report, --nestgate-bundle or --no-nestgate-report is given).
A path under tests_<gate>/ names a file of the suites, as in the repository. The exit status is
pytest's: 0 only on GO.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from nestgate.catalog import GATES
from nestgate.config.load import DEFAULT_NAME, ENV_VAR
from nestgate.errors import NestgateError
from nestgate.paths import suite_dirs, suite_ini, suites_root

USAGE = """usage: nestgate run [PYTEST ARGS...]

Run the gate suites with pytest, from any directory: `nestgate run -m security`, `nestgate run -m
"security or build" -n 2`, `nestgate run tests_security/test_sec04_hardening.py`. Every pytest and
nestgate option works as with `pytest` in the repository (the list follows). Defaults from the working
directory: --target-config=./nestgate.toml (or $NESTGATE_CONFIG), --nestgate-report=./reports.
Exit status: pytest's (0 only on GO; 1 NO-GO; 2-4 the run did not complete).
"""
REPORT_OPTIONS = ("--nestgate-report", "--nestgate-bundle", "--no-nestgate-report")
# Options whose next argument is a value, never a test path (-k tests_security is an expression).
_VALUE_OPTIONS = frozenset({"-k", "-m", "-p", "-c", "-o", "-W", "-n", "--deselect"})
_GATE_DIRS = frozenset(f"tests_{g}" for g in GATES)


def _given(argv: list[str], option: str) -> bool:
    return any(a == option or a.startswith(option + "=") for a in argv)


def _suite_path(arg: str, previous: str | None) -> bool:
    """Whether `arg` names a test path in the suites (tests_<gate>/..., as in the repository)."""
    if arg.startswith("-") or previous in _VALUE_OPTIONS:
        return False
    return Path(arg.split("::", 1)[0]).parts[:1] in {(d,) for d in _GATE_DIRS}


def _wants_help(argv: list[str]) -> bool:
    return "-h" in argv or "--help" in argv


def pytest_args(argv: list[str], root: Path, cwd: Path, environ: Mapping[str, str]) -> list[str]:
    """pytest's arguments for `nestgate run ARGV` on the suites under `root`."""
    ini = suite_ini(root)
    if ini is None:
        raise NestgateError(f"the gate suites under {root} have no pytest settings (pytest.ini or pyproject.toml)")
    # the suites' folder is the root dir (node IDs as in the repository) and its settings apply, never
    # an ini file found above the working directory or the venv
    args = [f"--rootdir={root}", f"--config-file={ini}"]
    if not _given(argv, "--target-config") and not environ.get(ENV_VAR) and not _wants_help(argv):
        args.append(f"--target-config={cwd / DEFAULT_NAME}")  # (a missing one fails the run, naming it)
    if not any(_given(argv, o) for o in REPORT_OPTIONS) and not _wants_help(argv):
        args.append(f"--nestgate-report={cwd / 'reports'}")
    named = [i for i, a in enumerate(argv) if _suite_path(a, argv[i - 1] if i else None)]
    rest = [str(root / a) if i in named and not (cwd / a.split("::", 1)[0]).exists() else a
            for i, a in enumerate(argv)]
    suites = [] if named else [str(d) for d in suite_dirs(root)]
    return [*args, *suites, *rest]


def main(argv: list[str]) -> int:
    if _wants_help(argv):
        print(USAGE)
    args = pytest_args(argv, suites_root(), Path.cwd(), os.environ)
    return int(pytest.main(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
