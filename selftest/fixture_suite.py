"""A small gate suite written into a temp dir, for the evidence and deploy self-tests.

Real pytest, the real nestgate plugin, real files and sockets; only the controls are small.
What each control does is chosen per run with $NG_MODE (comma-separated words), so one suite
covers every fail-closed case:

    fail     SEC-02 asserts false            error   SEC-02's fixture raises
    skip     SEC-02 calls pytest.skip        hang    SEC-02 GETs an endpoint that never answers
    crash    SEC-02 kills its own process    sleep   SEC-02 sleeps (pytest-timeout's job)
    leak     SEC-02 tries every channel to leak three canaries (state/canary.secret,
             $NG_CANARY_TOKEN, $NG_SHAPED), then fails
    broken   INF-04 fails while <suite>/state/broken exists (a deploy that broke the stack)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selftest.stub_controls import stub_tests

CONFIG = """\
[target]
name = "fixture"
stack = "fixture-stack"
project_dir = "."
compose_files = ["compose.yml"]
base_url = "{base_url}"
docker_host = "{docker_host}"
services = ["app"]
call_timeout_s = {timeout}

[infra]
rollback_limit_s = {rollback_limit}
"""

SEC02 = r'''\
"""SEC-02 (fixture) — Docker Swarm external secrets properly deployed."""
import json
import logging
import os
import sys
import time
import warnings

import pytest

from nestgate.config import SecretRef
from nestgate.errors import EvidenceUnavailable
from nestgate.probes.credentials import read_secret
from nestgate.rules.findings import Finding

pytestmark = [pytest.mark.security, pytest.mark.runtime]
MODE = set(os.environ.get("NG_MODE", "").split(","))


@pytest.fixture
def store():
    if "error" in MODE:
        raise RuntimeError("fixture broke while opening the secret store")
    return {"medianest_jwt_secret_v2": "present"}


@pytest.mark.control("SEC-02")
def test_secrets_deployed(store, evidence, http, target_config):
    evidence.source("fixture secret store")
    evidence.measure(found=len(store))
    evidence.limit(expected=1)
    if "skip" in MODE:
        pytest.skip("secret store offline")
    if "hang" in MODE:
        evidence.source(f"GET {http.url('/health')}")
        http.get("/health")
    if "sleep" in MODE:
        time.sleep(600)
    if "crash" in MODE:
        os._exit(17)
    if "leak" in MODE:
        # canary 1: a secret file read the way controls read credentials (registered on read)
        canary = read_secret(SecretRef(file="state/canary.secret"), target_config)
        # canary 2: a variable whose name marks it secret; canary 3: registered nowhere, only
        # ever written where a credential's shape gives it away
        named, shaped = os.environ["NG_CANARY_TOKEN"], os.environ["NG_SHAPED"]
        for value in (canary, named):
            print(f"stdout: password is {value}")
            print(f"stderr: secret {value}", file=sys.stderr)
            logging.getLogger("fixture").warning("log: using %s", value)
            warnings.warn(f"warning: secret {value} in use", UserWarning, stacklevel=1)
        logging.getLogger("fixture").error("log: postgres://medianest:%s@db/medianest", shaped)
        print(f"Authorization: Bearer {shaped}\nSet-Cookie: token={shaped}; Path=/; HttpOnly")
        print(json.dumps({"password": shaped}), f"POSTGRES_PASSWORD={shaped}")
        evidence.measure(password=canary, token=named, api_url=f"https://u:{shaped}@api/")
        evidence.source(f"postgres://medianest:{shaped}@db/medianest (user secret {canary})")
        evidence.judge([Finding(f"user {canary}", "token", named, f"Bearer {shaped}",
                                says=f"password {canary} and token {named} accepted, Bearer {shaped}")])
        raise EvidenceUnavailable(f"login with password {canary} / {named} refused, Bearer {shaped}")
    assert "fail" not in MODE, "secret medianest_jwt_secret_v2: found 0, expected 1"
'''

INF04 = '''\
"""INF-04 (fixture) — Health monitoring endpoints responsive."""
from pathlib import Path

import pytest

pytestmark = [pytest.mark.infra, pytest.mark.runtime]
BROKEN = Path(__file__).resolve().parents[1] / "state" / "broken"


@pytest.mark.control("INF-04")
def test_health_endpoints(evidence):
    evidence.source(f"file {BROKEN}")
    evidence.measure(broken=BROKEN.exists())
    evidence.limit(broken=False)
    assert not BROKEN.exists(), f"endpoint /health: answered 503, expected 2xx ({BROKEN} exists)"
'''

PYTEST_INI = "[pytest]\naddopts = --strict-markers -p no:cacheprovider -ra\nxfail_strict = true\n"


def write_suite(root: Path, base_url: str = "http://127.0.0.1:9", docker_host: str = "",
                timeout_s: float = 5, rollback_limit_s: float = 300) -> Path:
    """The suite under `root`: nestgate.toml, pytest.ini, tests_security/, tests_infra/: SEC-02 and INF-04
    as above, every other control of both gates a passing stub (a gate is GO only when complete)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "nestgate.toml").write_text(CONFIG.format(base_url=base_url, docker_host=docker_host,
                                                      timeout=timeout_s, rollback_limit=rollback_limit_s))
    (root / "pytest.ini").write_text(PYTEST_INI)
    (root / "compose.yml").write_text("services:\n  app:\n    image: busybox\n")
    for gate, name, body in (("security", "test_sec02_fixture.py", SEC02), ("infra", "test_inf04_fixture.py", INF04)):
        (root / f"tests_{gate}").mkdir(exist_ok=True)
        (root / f"tests_{gate}" / name).write_text(body)
    (root / "tests_security" / "test_security_stubs.py").write_text(
        stub_tests("security", without=(("SEC-02", "runtime"),)))
    (root / "tests_infra" / "test_infra_stubs.py").write_text(stub_tests("infra", without=("INF-04",)))
    (root / "state").mkdir(exist_ok=True)
    return root


@contextmanager
def hanging_endpoint() -> Iterator[str]:
    """A TCP server that accepts connections and never answers: the base URL of a hung app."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        server.close()


def run_suite(root: Path, args: list[str], mode: str = "", timeout_s: float = 180,
              env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """A plain `pytest ...` in the suite, as a pipeline runs it."""
    return subprocess.run([sys.executable, "-m", "pytest", *args], cwd=root, capture_output=True, text=True,
                          timeout=timeout_s, env={**os.environ, "NG_MODE": mode, **(env or {})}, check=False)


def bundles(root: Path) -> list[Path]:
    return sorted(p for p in (root / "reports").glob("*") if p.is_dir())


def deploy_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "nestgate.cli", "deploy", *args]


def run_deploy(args: list[str], mode: str = "", timeout_s: float = 300, cwd: Path | None = None,
               env: dict[str, str] | None = None, opaque: bool = True) -> subprocess.CompletedProcess[str]:
    """`nestgate deploy ARGS`. The self-tests' deploy commands (touch, sh) are not stack deploys, so
    they go --opaque-command unless a test checks the binding itself (opaque=False)."""
    argv = deploy_argv(*(["--opaque-command"] if opaque else []), *args)
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout_s,
                          env={**os.environ, "NG_MODE": mode, **(env or {})}, check=False)
