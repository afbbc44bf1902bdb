"""[waivers]: bounds on the run's waiver file (--waivers=FILE or $NESTGATE_WAIVERS), the one place
where control and finding waivers live (nestgate.gate.waivers reads and checks it)."""

from __future__ import annotations

from pydantic import Field

from nestgate.config.base import Strict

DEFAULT_MAX_DAYS = 90


class Waivers(Strict):
    max_days: int = Field(DEFAULT_MAX_DAYS, ge=1, le=365, description=(
        "Waivers: days; a waiver's expires may be at most this far after the day of the run, so every "
        "exception is re-decided within that time. A later expiry stops the run naming the waiver file's line."))
