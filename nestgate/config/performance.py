"""[performance]: settings of the performance gate (PRF-01 .. PRF-06)."""

from __future__ import annotations

from nestgate.config.base import Strict


class Performance(Strict):
    bundle_dir: str = "frontend/.next"
    bundle_limit_mb: float = 10.0
    memory_total_limit_mb: float = 2048.0
    response_time_limit_s: float = 2.0
    memory_percent_limit: float = 80.0
    cpu_percent_limit: float = 70.0
