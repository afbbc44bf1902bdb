"""The testbed's own tests run against one real instance (`tbselftest`), brought up once per
session and torn down by the last test (test_z_down.py). Set NESTGATE_TESTBED_KEEP=1 to skip
that teardown and keep the warm instance for the next run."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from nestgate.testbed import Testbed, stack
from nestgate.testbed.run import client

INSTANCE = "tbselftest"


def free_port() -> int:
    for port in range(18480, 18580):
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18480-18579")


@pytest.fixture(scope="session")
def tb() -> Iterator[Testbed]:
    testbed = Testbed(INSTANCE)
    port = testbed.state.port if testbed.state_dir.joinpath("state.json").exists() else free_port()
    testbed.up(port=port)
    yield testbed


@dataclass
class Reply:
    status: int
    body: Any
    seconds: float


def http(tb: Testbed, path: str, method: str = "GET", body: dict | None = None,
         token: str | None = None, timeout: float = 10) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(tb.base_url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw, code = resp.read(), resp.status
    except urllib.error.HTTPError as exc:
        raw, code = exc.read(), exc.code
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw.decode(errors="replace")
    return Reply(code, parsed, time.monotonic() - start)


def login(tb: Testbed, password: str | None = None) -> Reply:
    pw = password if password is not None else tb.secret_file("test_account_password").read_text()
    return http(tb, "/api/auth/login", "POST", {"username": "nestgate-test", "password": pw})


def container(tb: Testbed, service: str) -> Any:
    found = stack.task_containers(tb.instance, service)
    assert found, f"no running container for {service}"
    found[0].reload()
    return found[0]


def service_attrs(tb: Testbed, service: str) -> dict:
    svc = stack.services(tb.instance)[service]
    svc.reload()
    return svc.attrs


def all_healthy(tb: Testbed) -> dict[str, str]:
    st = tb.status()
    return {n: f"{s.healthy}/{s.desired}" for n, s in st.services.items()}


def prefixed_secrets(tb: Testbed) -> list[str]:
    return sorted(s.name for s in client().secrets.list() if s.name.startswith(tb.instance + "_"))
