"""Fixtures for nestgate's own tests: real engines, real configs, no mocks."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from nestgate.config import load_config
from selftest.gaterun import ROOT

pytest_plugins = ["pytester"]


@pytest.fixture(scope="session")
def default_config() -> dict:
    """The shipped MediaNest defaults, as a plain dict to derive test configs from."""
    import tomllib

    return tomllib.loads((ROOT / "nestgate.toml").read_text())


def derive_config(base: dict, directory: Path, **sections: dict) -> Path:
    """Write a config: `base` with the given sections' keys overridden; validated before use."""
    from selftest.gaterun import write_config

    data = {k: dict(v) if isinstance(v, dict) else v for k, v in base.items()}
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    path = write_config(data, directory)
    load_config(path)  # a self-test must not pass because its own config was rejected
    return path


@pytest.fixture(scope="session")
def lone_engine() -> Iterator[str]:
    """A second, real dockerd on its own socket and data root, never part of a swarm."""
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed: the self-tests need a real Docker engine")
    root = Path(tempfile.mkdtemp(prefix="nestgate-lone-"))
    url = f"unix://{root}/docker.sock"
    log = (root / "dockerd.log").open("w")
    proc = subprocess.Popen(
        ["dockerd", "-H", url, "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "--pidfile", str(root / "docker.pid"), "--bridge=none", "--iptables=false", "--ip-masq=false"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                docker.DockerClient(base_url=url, timeout=5).ping()
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"second dockerd did not start; see {root}/dockerd.log")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def testbed():
    """The reference stack, up and clean, shared by the control self-tests of a session.

    CI uses the default instance; an engineer working in parallel with others sets
    NESTGATE_SELFTEST_INSTANCE (and NESTGATE_SELFTEST_PORT) to get a stack of their own.
    """
    import os

    from nestgate.testbed import Testbed

    instance = os.environ.get("NESTGATE_SELFTEST_INSTANCE", "medianest")
    port = os.environ.get("NESTGATE_SELFTEST_PORT")
    tb = Testbed(instance)
    tb.up(port=int(port) if port else None)  # the port belongs to up(); a known instance keeps its own
    return tb
