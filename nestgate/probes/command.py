"""Run a command with a timeout and return what it did; a missing program is evidence unavailable."""

from __future__ import annotations

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
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except FileNotFoundError:
        raise EvidenceUnavailable(f"command not found: {argv[0]}") from None
    except NotADirectoryError:
        raise EvidenceUnavailable(f"working directory does not exist: {cwd}") from None
    except subprocess.TimeoutExpired:
        raise EvidenceUnavailable(
            f"command timed out after {timeout_s:g} s: {' '.join(argv)}"
        ) from None
    return CommandResult(
        argv=tuple(argv),
        cwd=str(cwd or "."),
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        duration_s=time.monotonic() - started,
    )
