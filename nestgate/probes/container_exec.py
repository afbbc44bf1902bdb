"""Run a command inside a running container through the engine's exec API (`docker exec`).

Why exec and not a connection from the host: the data services sit on an internal overlay
network and publish nothing (SEC-05 requires the host cannot reach them). Exec goes through the
Docker API nestgate already uses (so it also works with a remote `docker_host`), needs no probe
container on the data network and no root on the host, and runs the server's own client, whose
version matches the server (pg_dump must not be older than PostgreSQL).

Credentials go in the exec's environment (the API request body), never on a command line.
stdin can be streamed from a host file and stdout into one, so a dump lands on the host the way
an operator's backup would. Every exec has a deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import docker.errors
from docker.utils.socket import STDOUT, frames_iter

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts

CHUNK = 1 << 16
# An exec whose program is missing or not executable exits 126/127 (the OCI runtime's codes).
NOT_RUNNABLE = (126, 127)


@dataclass(frozen=True)
class ExecResult:
    argv: tuple[str, ...]
    container: str
    exit_code: int
    stdout: bytes  # empty when stdout went to a file
    stdout_bytes: int
    stderr: str
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def reason(self) -> str:
        """The command's own last words (stderr, else stdout), one line."""
        for text in (self.stderr, self.text()):
            lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
            if lines:
                return " / ".join(lines[-2:])
        return f"exit status {self.exit_code}"


def run_in(engine: Engine, container: ContainerFacts, argv: list[str], timeout_s: float,
           env: dict[str, str] | None = None, stdin_path: Path | None = None,
           stdout_path: Path | None = None) -> ExecResult:
    """Run argv in the container; raise EvidenceUnavailable if it cannot run or overruns."""
    started = time.monotonic()
    what = f"{argv[0]} in container {container.name}"
    try:
        exec_id = engine.call("exec create", lambda api: api.exec_create(
            container.id, argv, stdout=True, stderr=True, stdin=stdin_path is not None,
            environment=env or {}))["Id"]
        sock = engine.call("exec start", lambda api: api.exec_start(exec_id, socket=True))
    except docker.errors.APIError as exc:
        raise EvidenceUnavailable(f"cannot run {what}: {exc.explanation or exc}") from None
    raw: socket.socket = getattr(sock, "_sock", sock)
    raw.settimeout(max(0.1, timeout_s))
    writer = _feed(raw, stdin_path) if stdin_path is not None else None
    out = bytearray()
    err = bytearray()
    size = 0
    sink = stdout_path.open("wb") if stdout_path is not None else None
    try:
        for stream, chunk in frames_iter(sock, tty=False):
            if stream == STDOUT:
                size += len(chunk)
                if sink is not None:
                    sink.write(chunk)
                else:
                    out.extend(chunk)
            elif len(err) < CHUNK:  # a chatty stderr is cut; its head says what went wrong
                err.extend(chunk)
            left = timeout_s - (time.monotonic() - started)
            if left <= 0:
                raise TimeoutError
            raw.settimeout(left)
    except TimeoutError:
        raise EvidenceUnavailable(f"{what} did not finish within {timeout_s:g} s") from None
    except OSError as exc:
        raise EvidenceUnavailable(f"{what}: connection to the engine broke: {exc}") from None
    finally:
        raw.close()
        if sink is not None:
            sink.close()
        if writer is not None:
            writer.join(timeout=5)
    code = _exit_code(engine, exec_id, what)
    result = ExecResult(tuple(argv), container.name, code, bytes(out), size,
                        err.decode("utf-8", "replace"), time.monotonic() - started)
    if code in NOT_RUNNABLE:
        raise EvidenceUnavailable(f"cannot run {what} (exit {code}): {result.reason()}")
    return result


def _feed(raw: socket.socket, path: Path) -> threading.Thread:
    """Stream a file into the exec's stdin while the caller reads its output (no pipe deadlock)."""

    def write() -> None:
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(CHUNK):
                    raw.sendall(chunk)
            raw.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the reader sees the broken exec and reports it

    thread = threading.Thread(target=write, name="exec-stdin", daemon=True)
    thread.start()
    return thread


def _exit_code(engine: Engine, exec_id: str, what: str) -> int:
    # The stream can end a moment before the engine records the exit code.
    for _ in range(50):
        info = engine.call("exec inspect", lambda api: api.exec_inspect(exec_id))
        if not info.get("Running") and info.get("ExitCode") is not None:
            return int(info["ExitCode"])
        time.sleep(0.05)
    raise EvidenceUnavailable(f"{what}: the engine reports no exit code")

