"""nestgate as a package: where the gate suites are found (checkout or installed), the settings they run
with when installed, what `nestgate run` hands pytest, and the refusal when no suite is there. The wheel
itself, installed into a clean venv and run against the reference stack: selftest/controls/
test_wheel_install.py."""

from __future__ import annotations

import configparser
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from nestgate import paths
from nestgate.catalog import GATES
from nestgate.cli import main
from nestgate.run_command import pytest_args

ROOT = Path(__file__).resolve().parents[2]
SUITES = [str(ROOT / f"tests_{g}") for g in GATES]


def _ini_value(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return " ".join(value) if isinstance(value, list) else str(value)


def test_installed_suites_run_with_the_repository_settings():
    ini = configparser.ConfigParser()
    ini.read(ROOT / "nestgate" / "suites" / "pytest.ini")
    repo = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert dict(ini["pytest"]) == {k: _ini_value(v) for k, v in repo.items()}
    assert ini["pytest"]["testpaths"].split() == [f"tests_{g}" for g in GATES]


def test_a_checkout_runs_its_own_suites():
    assert paths.suites_root() == ROOT
    assert paths.suite_ini(ROOT) == ROOT / "pyproject.toml"
    assert paths.project_dir() == ROOT


def test_an_installed_layout_is_found_first(tmp_path, monkeypatch):
    (tmp_path / "tests_security").mkdir()
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    monkeypatch.setattr(paths, "INSTALLED_SUITES", tmp_path)
    assert paths.suites_root() == tmp_path
    assert paths.suite_dirs(tmp_path) == [tmp_path / "tests_security"]


def test_run_takes_the_working_directory_defaults(tmp_path):
    args = pytest_args(["-m", "security", "-q"], ROOT, tmp_path, {})
    assert args == [f"--rootdir={ROOT}", f"--config-file={ROOT / 'pyproject.toml'}",
                    f"--target-config={tmp_path / 'nestgate.toml'}", f"--nestgate-report={tmp_path / 'reports'}",
                    *SUITES, "-m", "security", "-q"]


CONFIG_DEFAULT, REPORT_DEFAULT = "--target-config=/w/nestgate.toml", "--nestgate-report=/w/reports"


@pytest.mark.parametrize(("given", "environ", "absent"), [
    (["--target-config=x.toml"], {}, CONFIG_DEFAULT),
    (["--target-config", "x.toml"], {}, CONFIG_DEFAULT),
    ([], {"NESTGATE_CONFIG": "x.toml"}, CONFIG_DEFAULT),
    (["--nestgate-bundle=out"], {}, REPORT_DEFAULT),
    (["--no-nestgate-report"], {}, REPORT_DEFAULT),
    (["--nestgate-report=elsewhere"], {}, REPORT_DEFAULT),
])
def test_run_leaves_what_the_user_gave_to_the_user(given, environ, absent):
    args = pytest_args(given, ROOT, Path("/w"), environ)
    assert absent not in args
    assert args[len(args) - len(given):] == given  # last: pytest takes the user's value of an option


def test_a_suite_path_names_the_suites_file(tmp_path):
    node = "tests_security/test_sec04_hardening.py::test_runtime"
    args = pytest_args(["-v", node], ROOT, tmp_path, {})
    assert args[-2:] == ["-v", str(ROOT / node)]
    assert not set(SUITES) & set(args), "a named file must not pull in every suite"


def test_an_option_value_is_not_a_path(tmp_path):
    args = pytest_args(["-k", "tests_security"], ROOT, tmp_path, {})
    assert args[-2:] == ["-k", "tests_security"]
    assert set(SUITES) <= set(args)


def test_without_suites_run_and_controls_refuse(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(paths, "INSTALLED_SUITES", tmp_path / "suites")
    monkeypatch.setattr(paths, "CHECKOUT", tmp_path)
    for command in (["run", "-m", "security"], ["controls"]):
        assert main(command) == 2, command
        out, err = capsys.readouterr()
        assert out == "", command  # no table of "not implemented" rows
        assert err.startswith("nestgate: no gate suite (tests_<gate>/") and str(tmp_path) in err, err


def test_run_help_explains_itself_and_lists_the_gate_options():
    proc = subprocess.run([sys.executable, "-m", "nestgate.cli", "run", "--help"], capture_output=True, text=True,
                          timeout=120, cwd="/")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: nestgate run [PYTEST ARGS...]"), proc.stdout[:200]
    assert "--target-config=PATH" in proc.stdout and "--nestgate-bundle=DIR" in proc.stdout
