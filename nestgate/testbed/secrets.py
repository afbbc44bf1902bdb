"""The instance's nine swarm secrets and the operator-side copies of their values.

Swarm cannot read a secret back, so `up` writes each value to a 0600 file in the state dir
(`secrets/<base name>`), where nestgate reads credentials like an operator's secret files.
Values are random (the database and user names are MediaNest's defaults) and never printed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets as pysecrets
import uuid
from pathlib import Path

from docker.errors import NotFound

from nestgate.testbed.compose import SECRET_BASES
from nestgate.testbed.errors import TestbedError
from nestgate.testbed.run import client

LABEL = "nestgate.testbed.instance"
TEST_USER = "nestgate-test"
TEST_PASSWORD_FILE = "test_account_password"
PBKDF2_ITERATIONS = 100_000


def new_value(base: str) -> str:
    if base in ("postgres_db", "postgres_user"):
        return "medianest"
    if base == "plex_client_id":
        return str(uuid.uuid4())
    return pysecrets.token_hex(32)


def secrets_dir(state_dir: Path) -> Path:
    path = state_dir / "secrets"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def write_value(state_dir: Path, base: str, value: str) -> Path:
    path = secrets_dir(state_dir) / base
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return path


def read_value(state_dir: Path, base: str) -> str:
    return (secrets_dir(state_dir) / base).read_text()


def exists(name: str) -> bool:
    try:
        client().secrets.get(name)
    except NotFound:
        return False
    return True


def create(instance: str, name: str, value: str) -> None:
    client().secrets.create(name=name, data=value.encode(), labels={LABEL: instance})


def ensure(instance: str, state_dir: Path, names: dict[str, str]) -> None:
    """Create the missing secrets; keep existing ones (in use, immutable) if we hold their values."""
    for base, name in names.items():
        have_file = (secrets_dir(state_dir) / base).exists()
        if exists(name):
            if not have_file:
                raise TestbedError(f"secret {name} exists but its value is not in {secrets_dir(state_dir)}: "
                                   f"run `testbed down --instance {instance}` first")
            continue
        value = read_value(state_dir, base) if have_file else new_value(base)
        write_value(state_dir, base, value)
        create(instance, name, value)


def remove(name: str) -> None:
    with contextlib.suppress(NotFound):
        client().secrets.get(name).remove()


def ensure_test_password(state_dir: Path) -> tuple[str, str]:
    """The test account's password (a file, never a swarm secret: the stack has exactly nine)
    and its PBKDF2 hash for the users table."""
    path = secrets_dir(state_dir) / TEST_PASSWORD_FILE
    if not path.exists():
        write_value(state_dir, TEST_PASSWORD_FILE, pysecrets.token_urlsafe(24))
    password = path.read_text()
    salt = pysecrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)
    return password, f"pbkdf2_sha256${PBKDF2_ITERATIONS}${salt.hex()}${digest.hex()}"


__all__ = ["SECRET_BASES", "TEST_USER", "ensure", "ensure_test_password"]


def created_times(instance: str) -> list[float]:
    """Creation times (epoch seconds) of this instance's swarm secrets."""
    from datetime import datetime

    out = []
    for s in client().secrets.list(filters={"label": f"{LABEL}={instance}"}):
        stamp = s.attrs["CreatedAt"]
        head, _, frac = stamp.rstrip("Z").partition(".")
        out.append(datetime.fromisoformat(head + "+00:00").timestamp() + float("0." + (frac or "0")))
    return out
