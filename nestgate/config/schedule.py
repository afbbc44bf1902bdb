"""The watch schedule's syntax: "5m:2h,15m:22h" = every 5 minutes for 2 hours, then every 15 for 22.

Part of the config because the config validates it; the watch loop computes due times from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(text: str) -> float:
    """'90s', '5m', '2h', '1d' -> seconds. ValueError names the text."""
    m = _DURATION.match(text)
    if not m or float(m.group(1)) <= 0:
        raise ValueError(f"{text.strip()!r} is not a duration (a positive number with s, m, h or d)")
    return float(m.group(1)) * UNITS[m.group(2)]


@dataclass(frozen=True)
class Phase:
    every_s: float
    for_s: float


def parse_schedule(text: str) -> list[Phase]:
    """'5m:2h,15m:22h' -> phases. Each part is INTERVAL:DURATION; ValueError names the bad part."""
    phases = []
    for part in text.split(","):
        every, sep, span = part.partition(":")
        if not sep:
            raise ValueError(f"schedule part {part.strip()!r} is not INTERVAL:DURATION (e.g. 5m:2h)")
        phase = Phase(parse_duration(every), parse_duration(span))
        if phase.every_s > phase.for_s:
            raise ValueError(f"schedule part {part.strip()!r}: the interval is longer than the duration")
        phases.append(phase)
    return phases
