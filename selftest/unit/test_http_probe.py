"""The HTTP probe's own failure wording, against real local sockets: a hang is named a hang,
a refused connection is named unreachable."""

import socket
import threading
import time

import pytest

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.http import Http


@pytest.fixture
def hanging_port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def accept_and_hold():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)  # never answers

    threading.Thread(target=accept_and_hold, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for conn in held:
        conn.close()


def test_a_hang_is_reported_as_no_answer_within_the_timeout(hanging_port):
    started = time.monotonic()
    with pytest.raises(EvidenceUnavailable) as err:
        Http(f"http://127.0.0.1:{hanging_port}", timeout_s=0.5).get("/health")
    assert str(err.value) == f"GET http://127.0.0.1:{hanging_port}/health: no answer within 0.5 s"
    assert time.monotonic() - started < 3  # a read timeout is not retried


def test_a_refused_connection_is_unreachable():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(EvidenceUnavailable, match=rf"GET http://127.0.0.1:{port}/x: unreachable: .*refused"):
        Http(f"http://127.0.0.1:{port}", timeout_s=1).get("/x")
