"""Run a command with a timeout and return what it did; a missing program is evidence unavailable."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from nestgate.errors import EvidenceUnavailable


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    cwd: str
    returncode: int
    stdout: str
    stderr: str
    duration_s: float

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def last_error_line(self) -> str:
        """The last non-empty line of stderr (else stdout): usually the tool's own verdict."""
        for text in (self.stderr, self.stdout):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                return lines[-1]
        return f"exit status {self.returncode}"


def run(
    argv: list[str] | tuple[str, ...],
    timeout_s: float,
    cwd: Path | str | None = None,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
) -> CommandResult:
    started = time.monotonic()
    try:
        # Its own process group: on timeout the whole group goes (`docker compose` runs a plugin
        # process, npm runs node); killing only the child would leave them holding the pipes open.
        proc = subprocess.Popen(list(argv), cwd=cwd, env=env, text=True, start_new_session=True,
                                stdin=subprocess.PIPE if stdin is not None else None,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except FileNotFoundError:
        raise EvidenceUnavailable(f"command not found: {argv[0]}") from None
    except NotADirectoryError:
        raise EvidenceUnavailable(f"working directory does not exist: {cwd}") from None
    try:
        stdout, stderr = proc.communicate(stdin, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise EvidenceUnavailable(
            f"command timed out after {timeout_s:g} s: {' '.join(argv)}"
        ) from None
    except BaseException:  # an interrupt: leave nothing of the group running
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return CommandResult(
        argv=tuple(argv),
        cwd=str(cwd or "."),
        returncode=proc.returncode,
        stdout=stdout,
        stderr=stderr,
        duration_s=time.monotonic() - started,
    )
