"""Where nestgate's own files are, in a checkout (or an editable install) and in an installed wheel.

- The gate suites (tests_<gate>/): at the repository root in a checkout, whose pyproject.toml holds
  their pytest settings; inside the package, nestgate/suites/ with those settings in pytest.ini, when
  installed from a wheel (setup.py maps the top-level folders there).
- The project directory, whose nestgate.toml and reports/ are the defaults of the commands that do
  not get them from pytest: the repository root in a checkout, the working directory otherwise (an
  installed nestgate's own folder is site-packages, never a place for a config or a report).
"""

from __future__ import annotations

from pathlib import Path

from nestgate.catalog import GATES
from nestgate.errors import NestgateError

PACKAGE = Path(__file__).resolve().parent
INSTALLED_SUITES = PACKAGE / "suites"  # what the wheel holds
CHECKOUT = PACKAGE.parent  # the repository root, when nestgate runs from its source tree
INI_NAMES = ("pytest.ini", "pyproject.toml")  # the suites' pytest settings, installed or in a checkout


def suite_dirs(root: Path) -> list[Path]:
    """The tests_<gate>/ folders under `root`, in catalog order."""
    return [root / f"tests_{g}" for g in GATES if (root / f"tests_{g}").is_dir()]


def checkout_root() -> Path | None:
    """The repository root when nestgate runs from its source tree, else None."""
    return CHECKOUT if (CHECKOUT / "pyproject.toml").is_file() and suite_dirs(CHECKOUT) else None


def suites_root() -> Path:
    """The folder holding the tests_<gate>/ suites and their pytest settings; NestgateError if none."""
    for root in (INSTALLED_SUITES, checkout_root()):
        if root is not None and suite_dirs(root) and suite_ini(root) is not None:
            return root
    raise NestgateError(f"no gate suite (tests_<gate>/ with its pytest settings) in {INSTALLED_SUITES} or "
                        f"{CHECKOUT}: this nestgate was installed without its suites (build it from the "
                        "repository with `pip install .` or `pip wheel .`)")


def suite_ini(root: Path) -> Path | None:
    """The suites' pytest settings file under `root`."""
    return next((root / n for n in INI_NAMES if (root / n).is_file()), None)


def project_dir() -> Path:
    """Where nestgate.toml and reports/ are looked for by default."""
    return checkout_root() or Path.cwd()
