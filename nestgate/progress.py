"""Progress as Python logging (issue 18): a line per step with its elapsed time, and a heartbeat
while a step waits, so nothing long is silent (pytest's live log, or the CLI's stderr handler).

The library only logs; handlers are set up by the command-line entry points alone
(configure_cli_logging). Messages name things (services, tags, databases, secrets), never values.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

HEARTBEAT_S = 8.0  # under the 10 s a user may wait without a line, with room for a loaded host
CLI_PREFIX = "[nestgate]"

Detail = str | Callable[[], str]


class Step:
    """One step in progress. `detail` (text, or a function read at each heartbeat) says where it is."""

    def __init__(self, log: logging.Logger, what: str, interval: float | None) -> None:
        self.log, self.what, self.interval = log, what, interval
        self.started = time.monotonic()
        self.detail: Detail = ""
        self.result = "done"  # how it ended, for the closing line (a step may say "failed at step 3/9")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def note(self, detail: str) -> None:
        """A sub-step: logged now, and named by the heartbeats that follow."""
        self.detail = detail
        self.log.info("%s: %s (%.0f s)", self.what, detail, self.elapsed)

    def _detail(self) -> str:
        try:
            text = self.detail() if callable(self.detail) else self.detail
        except Exception:  # a heartbeat never breaks the step it reports on
            text = ""
        return f": {text}" if text else ""

    def _beat(self) -> None:
        assert self.interval is not None
        while not self._stop.wait(self.interval):
            self.log.info("still %s%s, %.0f s", self.what, self._detail(), self.elapsed)

    def _start(self) -> None:
        self.log.info("%s ...", self.what)
        if self.interval:
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat: {self.what}", daemon=True)
            self._thread.start()

    def _end(self, failure: BaseException | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if failure is None:
            self.log.info("%s: %s, %.1f s", self.what, self.result, self.elapsed)
        else:  # the exception itself carries the reason; its text may hold what a log must not
            self.log.info("%s: stopped after %.1f s (%s)", self.what, self.elapsed, type(failure).__name__)


@contextmanager
def step(log: logging.Logger, what: str, interval: float | None = HEARTBEAT_S) -> Iterator[Step]:
    """Log `what` at its start and end with the elapsed time; every `interval` seconds in between,
    a heartbeat line (None: no heartbeat, for a step that prints its own progress)."""
    current = Step(log, what, interval)
    current._start()
    try:
        yield current
    except BaseException as exc:
        current._end(exc)
        raise
    current._end(None)


class ElapsedFormatter(logging.Formatter):
    """`[nestgate] <seconds since the command started> <message>`."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.time()

    def format(self, record: logging.LogRecord) -> str:
        return f"{CLI_PREFIX} {max(record.created - self.started, 0):6.1f}s {record.getMessage()}"


_cli_handler: logging.Handler | None = None


def configure_cli_logging(quiet: bool = False) -> logging.Handler | None:
    """For the command-line entry points only: nestgate's log lines to stderr at INFO (WARNING when
    quiet). A program that configured logging itself (a root handler) keeps its own setup: None."""
    global _cli_handler
    package = logging.getLogger("nestgate")
    if _cli_handler is None:
        if logging.getLogger().handlers:
            return None
        _cli_handler = logging.StreamHandler(sys.stderr)
        _cli_handler.setFormatter(ElapsedFormatter())
        package.addHandler(_cli_handler)
    package.setLevel(logging.WARNING if quiet else logging.INFO)
    return _cli_handler
