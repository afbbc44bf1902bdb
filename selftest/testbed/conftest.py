"""The testbed's own tests run against one real instance (`tbselftest`), brought up once per
session and torn down by the last test (test_z_down.py). Set NESTGATE_TESTBED_KEEP=1 to skip
that teardown and keep the warm instance for the next run; NESTGATE_TESTBED_INSTANCE names another
instance than `tbselftest`."""

from __future__ import annotations

import json
import os
import secrets as pysecrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from nestgate.rules.sec03_auth import minted
from nestgate.testbed import Testbed, stack
from nestgate.testbed.run import client
from nestgate.testbed.target_config import TEST_USER_CLAIMS

# An engineer working beside others points these tests at an instance of their own.
INSTANCE = os.environ.get("NESTGATE_TESTBED_INSTANCE", "tbselftest")


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
         token: str | None = None, timeout: float = 10, headers: dict[str, str] | None = None) -> Reply:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(tb.base_url + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
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
    """The testbed's password login (MediaNest has none): what the failed-login lines come from."""
    pw = password if password is not None else tb.secret_file("test_account_password").read_text()
    return http(tb, "/api/auth/login", "POST", {"username": "nestgate-test", "password": pw})


def session_token(tb: Testbed, ttl_s: int = 600) -> str:
    """A session token for the test account, signed with the app's JWT secret as SEC-03 mints it."""
    secret = tb.secret_file("jwt_secret").read_text().strip()
    return minted(TEST_USER_CLAIMS, secret, time.time(), ttl_s, pysecrets.token_urlsafe(16))


def logout(tb: Testbed, token: str, csrf: bool = True) -> Reply:
    """MediaNest's logout: the session plus the double-submit CSRF token (cookie and header), or none."""
    if not csrf:
        return http(tb, "/api/v1/auth/logout", "POST", token=token)
    value = http(tb, "/api/v1/csrf/token").body["data"]["csrfToken"]
    return http(tb, "/api/v1/auth/logout", "POST", token=token,
                headers={"Cookie": f"csrf-token={value}", "x-csrf-token": value})


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
