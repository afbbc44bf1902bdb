"""The gate suites ship inside the package while the repository keeps them at its top level:
each tests_<gate>/ folder is the package nestgate.suites.tests_<gate> (see nestgate/paths.py).
Every other setting is in pyproject.toml."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

SUITES = sorted(p.name for p in Path(__file__).resolve().parent.glob("tests_*") if p.is_dir())

setup(
    packages=[*find_namespace_packages(include=["nestgate*"]), *(f"nestgate.suites.{s}" for s in SUITES)],
    package_dir={f"nestgate.suites.{s}": s for s in SUITES},
)
