"""The whole target config: one strict model, one section per concern."""

from __future__ import annotations

from pydantic import Field

from nestgate.config.base import Strict
from nestgate.config.build import Build
from nestgate.config.infra import Infra
from nestgate.config.performance import Performance
from nestgate.config.security import Security
from nestgate.config.target import Target
from nestgate.config.watch import Watch


class NestgateConfig(Strict):
    target: Target = Field(default_factory=Target)
    security: Security = Field(default_factory=Security)
    build: Build = Field(default_factory=Build)
    performance: Performance = Field(default_factory=Performance)
    infra: Infra = Field(default_factory=Infra)
    watch: Watch = Field(default_factory=Watch)
