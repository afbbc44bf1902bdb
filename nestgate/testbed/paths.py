"""Where an instance keeps its state: ${NESTGATE_TESTBED_DIR:-~/.cache/nestgate/testbed}/NAME/."""

from __future__ import annotations

import os
import re
from pathlib import Path

from nestgate.testbed.errors import TestbedError

DEFAULT_INSTANCE = "medianest"
DEFAULT_PORT = 8080
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,23}$")


def root_dir() -> Path:
    env = os.environ.get("NESTGATE_TESTBED_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "nestgate" / "testbed"


def cache_dir() -> Path:
    """Shared between instances (npm packages); never removed by `down`."""
    return root_dir() / ".cache"


def check_instance(name: str) -> str:
    # Lower-case letters, digits, hyphens: valid as a stack name, a secret prefix and a directory.
    if not NAME_RE.match(name):
        raise TestbedError(f"invalid instance name {name!r}: use [a-z][a-z0-9-]* (at most 24 characters)")
    return name


def instance_dir(name: str) -> Path:
    return root_dir() / check_instance(name)
