"""[watch]: post-deploy monitoring (`nestgate watch`), triggers, actions and KPI targets.

Defaults are the procedure's: checks every 5 minutes for 2 hours, then every 15 minutes for 22;
Level 1 and Level 2 trigger windows and thresholds as written there. Self-tests shorten them here.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from nestgate.config.base import Strict

# The controls a watch round runs by default: infra health, response time and memory, monitoring.
DEFAULT_CONTROLS = ["INF-04", "INF-06", "PRF-04", "PRF-05", "PRF-06", "SEC-07"]


class Triggers(Strict):
    """Level 1 and Level 2 conditions, evaluated over the history after every sample."""

    # Level 1
    service_down_s: float = Field(120.0, gt=0)          # a service down for more than this
    memory_percent: float = Field(80.0, gt=0, le=100)   # a container's memory use, % of its limit...
    memory_for_s: float = Field(300.0, gt=0)            # ...above that for more than this
    errors_per_minute: float = Field(10.0, gt=0)        # error lines per minute, per service...
    errors_window_s: float = Field(60.0, gt=0)          # ...counted over this window
    auth_failures: int = Field(50, ge=1)                # authentication failures...
    auth_window_s: float = Field(3600.0, gt=0)          # ...more than this many within this window
    auth_failure_pattern: str = r"(?i)authentication failed"
    auth_services: list[str] = Field(default_factory=lambda: ["app"])
    security_alerts: bool = True                        # any alert the monitor raised (not test alerts)
    # Level 2
    restart_grace_s: float = Field(120.0, gt=0)         # a restarted service not back up after this
    multiple_services: int = Field(2, ge=2)             # this many services with a Level 1 trigger at once
    degradation_percent: float = Field(50.0, gt=0)      # response time above baseline by more than this
    degradation_for_s: float = Field(60.0, ge=0)        # ...sustained this long (0: one sample)
    # Answers this fast are never "degraded": at millisecond scale +50 % is jitter, and a clean
    # stack fired Level 2 every few samples (151 events in 7 minutes, sampling every second).
    degradation_min_s: float = Field(0.2, ge=0)
    baseline_samples: int = Field(5, ge=1)              # baseline: median of the first N samples per endpoint


class Actions(Strict):
    """What a fired trigger does. Each action is opt-in; none runs unless set here."""

    restart_service: bool = False     # Level 1, service-down / memory-high: `docker service update --force`
    capture_logs: bool = False        # Level 1: the affected service's logs + inspect into the evidence folder
    capture_logs_since_s: float = Field(900.0, gt=0)
    notify_webhook: str = ""          # POST the event as JSON (Level 1 and 2)
    notify_command: list[str] = Field(default_factory=list)  # run with the event as JSON on stdin
    notify_timeout_s: float = Field(10.0, gt=0)


class Kpi(Strict):
    """The procedure's success metrics."""

    availability_percent: float = Field(99.9, gt=0, le=100)
    response_time_s: float = Field(2.0, gt=0)
    error_rate_percent: float = Field(1.0, ge=0, le=100)
    rollback_s: float = Field(300.0, gt=0)


class Watch(Strict):
    history: str = "reports/watch/history.sqlite"      # relative to this config file
    evidence_dir: str = "reports/watch"                # captured logs, KPI page, incident bundles
    schedule: str = "5m:2h,15m:22h"                    # controls rounds: every 5 min for 2 h, then 15 min for 22 h
    controls: list[str] = Field(default_factory=lambda: list(DEFAULT_CONTROLS))
    marker: str = ""                                   # extra -m expression ("" = the controls' gates)
    round_timeout_s: float = Field(900.0, gt=0)        # a controls round that runs longer fails
    sample_every_s: float = Field(30.0, gt=0)          # signals (service up, memory, logs, alerts, HTTP)
    # Availability and response time: requested through target.base_url every sample.
    endpoints: list[str] = Field(default_factory=lambda: ["/health", "/api/v1/health"])
    endpoint_timeout_s: float = Field(5.0, gt=0)
    triggers: Triggers = Field(default_factory=Triggers)
    actions: Actions = Field(default_factory=Actions)
    kpi: Kpi = Field(default_factory=Kpi)

    @field_validator("controls")
    @classmethod
    def _known_controls(cls, value: list[str]) -> list[str]:
        from nestgate.catalog import CONTROLS

        unknown = [c for c in value if c not in CONTROLS]
        if unknown or not value:
            raise ValueError(f"unknown control(s) {', '.join(unknown)}" if unknown else "give one or more controls")
        return value

    @field_validator("schedule")
    @classmethod
    def _schedule(cls, value: str) -> str:
        from nestgate.config.schedule import parse_schedule

        parse_schedule(value)  # ValueError names the bad part
        return value

    @model_validator(mode="after")
    def _endpoints(self) -> Watch:
        bad = [e for e in self.endpoints if not e.startswith("/")]
        if bad:
            raise ValueError(f"endpoints are paths under target.base_url, starting with '/': {bad[0]!r}")
        return self
