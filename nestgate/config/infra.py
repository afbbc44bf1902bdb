"""[infra]: settings of the infrastructure gate (INF-01 .. INF-08)."""

from __future__ import annotations

from nestgate.config.base import Strict


class Infra(Strict):
    errors_per_minute_limit: float = 10.0
    rollback_limit_s: float = 300.0
