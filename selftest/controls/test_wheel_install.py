"""nestgate as a user gets it: the wheel built from this working tree (`pip wheel --no-deps`), installed
with its dependencies from the package index into a clean venv (no system site packages, nothing of
this checkout on the path), then run from an empty directory holding only a nestgate.toml against the
reference stack: `nestgate --version`, `nestgate controls` and `nestgate run -m security`.

One wheel and one venv for the module (pip's cache makes the install a minute or two). The directory's
nestgate.toml is a symlink to the testbed's generated config, so its relative paths keep their meaning.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nestgate
from nestgate.catalog import CONTROLS, GATES
from nestgate.gate.bundle import verify_bundle
from selftest.gaterun import ROOT

INSTALL_TIMEOUT_S = 900  # dependencies from the package index (pip's cache makes it far shorter)
RUN_TIMEOUT_S = 900
BUNDLE_FILES = {"report.html", "junit.xml", "findings.sarif", "manifest.json", "SHA256SUMS"}


def _clean_env(venv: Path) -> dict[str, str]:
    """This machine's environment without what the self-test's own pytest, venv and config put there."""
    drop = ("NESTGATE_", "PYTEST_", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop) and k != "VIRTUAL_ENV"}
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != str(Path(sys.prefix) / "bin")]
    env["PATH"] = os.pathsep.join([str(venv / "bin"), *path])
    return env


def _run(argv: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean venv with the wheel of this working tree (as it is now, committed or not) installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    src, dist, venv = tmp / "src", tmp / "dist", tmp / "venv"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".testbed", "reports", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".*_cache"))
    t0 = time.monotonic()
    steps = [[sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q", "-w", str(dist),
              str(src)],
             [sys._base_executable, "-m", "venv", str(venv)]]  # type: ignore[attr-defined]
    for argv in steps:
        proc = _run(argv, tmp, _clean_env(venv), INSTALL_TIMEOUT_S)
        assert proc.returncode == 0, f"{argv[2:4]}: {proc.stdout}{proc.stderr}"
    [wheel] = dist.glob("nestgate-*.whl")
    # --no-compile: byte-compiling every dependency took most of the install on a loaded machine; the
    # first import compiles what is used
    proc = _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                 "--no-compile", str(wheel)], tmp, _clean_env(venv), INSTALL_TIMEOUT_S)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(f"wheel built and installed into a clean venv in {time.monotonic() - t0:.0f} s")
    return venv


@pytest.fixture(scope="module")
def workdir(venv: Path, testbed, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty directory holding only nestgate.toml (the testbed's config)."""
    work = tmp_path_factory.mktemp("pipeline")
    (work / "nestgate.toml").symlink_to(testbed.config_path)
    return work


def nestgate_cmd(venv: Path, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return _run([str(venv / "bin" / "nestgate"), *args], cwd, _clean_env(venv), timeout)


def test_the_installed_package_is_not_this_checkout(venv, tmp_path):
    proc = _run([str(venv / "bin" / "python"), "-c", "import nestgate, sys; print(nestgate.__file__); "
                 "print(*sys.path, sep='\\n')"], tmp_path, _clean_env(venv), 60)
    assert proc.returncode == 0, proc.stderr
    where, *path = proc.stdout.splitlines()
    assert Path(where).is_relative_to(venv), where
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(ROOT)], path
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    for name in ("py.typed", "suites/pytest.ini", "testbed/assets/project/.dockerignore"):
        assert (Path(where).parent / name).is_file(), name


def test_version_is_the_packages(venv, tmp_path):
    proc = nestgate_cmd(venv, "--version", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (0, f"nestgate {nestgate.__version__}\n"), proc.stderr


def test_controls_lists_every_controls_tests(venv, workdir):
    proc = nestgate_cmd(venv, "controls", "--json", cwd=workdir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = {r["id"]: r for r in json.loads(proc.stdout)}
    assert sorted(records) == sorted(CONTROLS)
    for cid, r in records.items():
        assert r["status"] == "implemented", (cid, r["status"])
        assert r["tests"] and r["node_ids"], cid
        assert all(n.startswith(f"tests_{CONTROLS[cid].gate}/") for n in r["node_ids"]), r["node_ids"]
    # the same cases a checkout collects with the same config: nothing of the suites was left out
    here = subprocess.run([sys.executable, "-m", "nestgate.cli", "controls", "--json",
                           f"--target-config={workdir / 'nestgate.toml'}"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert here.returncode == 0, here.stderr[-3000:]
    assert {r["id"]: r["node_ids"] for r in json.loads(here.stdout)} == {c: r["node_ids"] for c, r in records.items()}


def test_run_without_a_config_refuses_naming_it(venv, tmp_path):
    proc = nestgate_cmd(venv, "run", "-m", "security", cwd=tmp_path)
    assert proc.returncode not in (0, 1), proc.stdout[-2000:]
    assert f"{tmp_path / 'nestgate.toml'}: target config not found" in proc.stdout + proc.stderr
    assert not (tmp_path / "reports").exists()


def test_run_is_the_real_security_gate_from_an_empty_directory(venv, workdir):
    t0 = time.monotonic()
    proc = nestgate_cmd(venv, "run", "-m", "security", cwd=workdir, timeout=RUN_TIMEOUT_S)
    print(f"nestgate run -m security (installed): {time.monotonic() - t0:.0f} s")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert f"rootdir: {venv}" in out and "nestgate/suites" in out, "not the installed suites"
    collected = re.search(r"collected (\d+) items / (\d+) deselected / (\d+) selected", out)
    assert collected and int(collected.group(3)) > 0, out[:3000]
    assert re.search(r"^security\s+GO\b", out, re.MULTILINE), out[-3000:]
    [bundle] = (workdir / "reports").iterdir()  # the working directory's reports/, not site-packages
    assert bundle.name.endswith("-security")
    assert {p.name for p in bundle.iterdir()} >= BUNDLE_FILES
    evidence = verify_bundle(bundle)  # raises on a file that does not match SHA256SUMS and the manifest
    assert evidence, "empty evidence.json"
    junit = (bundle / "junit.xml").read_text()
    assert junit.count("<testcase ") == int(collected.group(3))
    assert 'classname="tests_security.' in junit or 'file="tests_security/' in junit
    assert not any(g != "security" and f"tests_{g}/" in junit for g in GATES)
