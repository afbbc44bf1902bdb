"""SEC-07 logic: how old a monitor's heartbeat is, from its JSON answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from nestgate.probes.readers.timestamps import parse_time
from nestgate.rules.sec03_auth import json_path


def heartbeat_age_s(body: Any, age_field: str, time_field: str,
                    now: dt.datetime | None = None) -> tuple[float | None, str]:
    """(age in seconds, where it came from); None with the reason when the answer has neither."""
    if time_field:
        stamp = parse_time(json_path(body, time_field))
        if stamp is None:
            return None, f"no ISO 8601 timestamp at {time_field!r}"
        return ((now or dt.datetime.now(dt.UTC)) - stamp).total_seconds(), f"timestamp {time_field}"
    value = json_path(body, age_field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"no number at {age_field!r}"
    return float(value), f"field {age_field}"
