"""`--since 1h` or `--since 2025-01-01T12:00:00Z`: the start of a period, as epoch seconds (pure)."""

from __future__ import annotations

from nestgate.config.schedule import parse_duration
from nestgate.errors import NestgateError
from nestgate.probes.readers.timestamps import parse_time


class SinceError(NestgateError):
    """--since is neither a duration nor an ISO 8601 time."""


def parse_since(text: str, now: float) -> float:
    """A duration counts back from `now`; an ISO time without a zone is UTC."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    stamp = parse_time(text)
    if stamp is None:
        raise SinceError(f"--since {text!r}: give a duration (90s, 10m, 1h, 1d) or an ISO 8601 time")
    if stamp.timestamp() > now:
        raise SinceError(f"--since {text!r} is in the future")
    return stamp.timestamp()
