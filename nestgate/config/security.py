"""[security]: settings of the security gate (SEC-01 .. SEC-07)."""

from __future__ import annotations

from pydantic import Field

from nestgate.config.base import Strict


class SecretsPolicy(Strict):
    # Swarm secrets named "<prefix>_..." belong to the target.
    prefix: str = "medianest"
    expected_count: int = 9
    max_age_days: float = 90.0


class Security(Strict):
    secrets: SecretsPolicy = Field(default_factory=SecretsPolicy)
