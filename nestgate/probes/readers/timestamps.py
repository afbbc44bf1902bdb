"""The one timestamp parser: ISO 8601 / RFC 3339 as scanners, the engine and nestgate write them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any


def parse_time(raw: Any) -> dt.datetime | None:
    """An ISO 8601 timestamp (Z or offset, any fraction length) as aware UTC; None if absent, bad,
    or Go's zero time (the engine's "never": 0001-01-01T00:00:00Z)."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip().replace("Z", "+00:00")
    # Go writes up to nine fraction digits; Python reads six.
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if stamp.year == 1:
        return None
    return stamp.replace(tzinfo=dt.UTC) if stamp.tzinfo is None else stamp.astimezone(dt.UTC)


def epoch(raw: Any) -> float | None:
    """parse_time as epoch seconds."""
    stamp = parse_time(raw)
    return stamp.timestamp() if stamp is not None else None
