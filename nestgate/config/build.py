"""[build]: settings of the build gate (BLD-01 .. BLD-06)."""

from __future__ import annotations

from nestgate.config.base import Strict


class Build(Strict):
    # Seconds from a container's start until it must report healthy (BLD-05).
    healthy_within_s: float = 30.0
