"""The whole target config: one strict model, one section per concern."""

from __future__ import annotations

from pydantic import Field

from nestgate.config.base import Strict
from nestgate.config.build import Build
from nestgate.config.infra import Infra
from nestgate.config.performance import Performance
from nestgate.config.security import Security
from nestgate.config.target import Target
from nestgate.config.waivers import Waivers
from nestgate.config.watch import Watch


class NestgateConfig(Strict):
    target: Target = Field(default_factory=Target, description=(
        "Which deployment nestgate gates, and how to reach it (engine, compose files, base URL, services)."))
    security: Security = Field(default_factory=Security, description="The security gate, SEC-01 .. SEC-07.")
    build: Build = Field(default_factory=Build, description=(
        "The build gate, BLD-01 .. BLD-06; paths relative to target.project_dir, commands as argv lists."))
    performance: Performance = Field(default_factory=Performance, description=(
        "The performance gate, PRF-01 .. PRF-06."))
    infra: Infra = Field(default_factory=Infra, description="The infrastructure gate, INF-01 .. INF-08.")
    watch: Watch = Field(default_factory=Watch, description=(
        "Post-deploy monitoring (`nestgate watch`, `nestgate kpi`): schedule, signals, triggers, actions and "
        "KPI targets."))
    waivers: Waivers = Field(default_factory=Waivers, description="The run's waiver file (--waivers=FILE): its bounds.")
