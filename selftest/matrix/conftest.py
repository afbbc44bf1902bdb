"""The matrix runs on a stack instance of its own (default `ngmatrix`), so it can run beside the
rest of the self-tests (xdist group "matrix": see selftest/conftest.py) without sharing faults."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from nestgate.testbed import Testbed
from selftest.dockerd import free_tcp_port


@pytest.fixture(scope="session")
def matrix_testbed() -> Iterator[Testbed]:
    tb = Testbed(os.environ.get("NESTGATE_MATRIX_INSTANCE", "ngmatrix"))
    port = os.environ.get("NESTGATE_MATRIX_PORT")
    known = tb.state_dir.joinpath("state.json").exists()
    if os.environ.get("CI"):  # INF-06/INF-07 judge the last hour: start from a stack with no history
        tb.up_fresh(port=int(port) if port else free_tcp_port())
    else:
        tb.up(port=int(port) if port else (None if known else free_tcp_port()))
    try:
        yield tb
    finally:
        tb.up(faults=[])
        if os.environ.get("CI") and not os.environ.get("NESTGATE_TESTBED_KEEP"):
            tb.down()
