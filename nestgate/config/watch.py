"""[watch]: post-deploy monitoring (`nestgate watch`), triggers, actions and KPI targets.

Defaults are the procedure's: checks every 5 minutes for 2 hours, then every 15 minutes for 22;
Level 1 and Level 2 trigger windows and thresholds as written there. Self-tests shorten them here.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from nestgate.config.base import Percent, Strict

# The controls a watch round runs by default: infra health, response time and memory, monitoring, and
# data integrity (the Level 3 data-integrity trigger and the data-consistency KPI read its results).
DEFAULT_CONTROLS = ["INF-04", "INF-06", "INF-09", "PRF-04", "PRF-05", "PRF-06", "SEC-07"]


class Triggers(Strict):
    """Level 1, 2 and 3 conditions, evaluated over the history after every sample."""

    service_down_s: float = Field(120.0, gt=0, description=(
        "Level 1 service-down: seconds a service may be down before the trigger fires."))
    memory_percent: Percent = Field(80.0, description=(
        "Level 1 memory-high: a container's memory use, percent of its limit, above which memory_for_s counts."))
    memory_for_s: float = Field(300.0, gt=0, description=(
        "Level 1 memory-high: seconds memory must stay above memory_percent before the trigger fires."))
    errors_per_minute: float = Field(10.0, gt=0, description=(
        "Level 1 error-rate: error lines per minute, per service (infra.logs.pattern), above which it fires."))
    errors_window_s: float = Field(60.0, gt=0, description=(
        "Level 1 error-rate: seconds of samples the error lines are counted over."))
    auth_failures: int = Field(50, ge=1, description=(
        "Level 1 auth-failures: fires on more than this many authentication failures within auth_window_s."))
    auth_window_s: float = Field(3600.0, gt=0, description=(
        "Level 1 auth-failures: seconds of samples the failures are counted over."))
    auth_failure_pattern: str = Field(r"(?i)authentication failed", description=(
        "Level 1 auth-failures: regular expression; a service's log line matching it is one authentication "
        "failure."))
    auth_services: list[str] = Field(default_factory=lambda: ["app"], description=(
        "Level 1 auth-failures: the services meant to log authentication failures. Not read at present: "
        "the sampler counts matching lines in every service's logs."))
    security_alerts: bool = Field(True, description=(
        "Level 1 security-alert: fire on any alert the monitor raised (security.monitoring.alerts_path; "
        "nestgate's own test alerts excluded)."))
    restart_grace_s: float = Field(120.0, gt=0, description=(
        "Level 2 restart-failed: seconds a restarted service gets to be back up."))
    multiple_services: int = Field(2, ge=2, description=(
        "Level 2 multiple-services: fires when this many services have a Level 1 trigger at once."))
    degradation_percent: float = Field(50.0, gt=0, description=(
        "Level 2 response-degraded: percent above an endpoint's baseline response time that counts as degraded."))
    degradation_for_s: float = Field(60.0, ge=0, description=(
        "Level 2 response-degraded: seconds the degradation must last before it fires (0: one sample)."))
    degradation_min_s: float = Field(0.2, ge=0, description=(
        "Level 2 response-degraded: answers at most this many seconds are never degraded; at millisecond scale "
        "+50 % is jitter, and without a floor a clean stack fired every few samples."))
    baseline_samples: int = Field(5, ge=1, description=(
        "Level 2 response-degraded: an endpoint's baseline is the median of its first N answered samples "
        "after the watch started."))
    unavailable_s: float = Field(60.0, gt=0, description=(
        "Level 3 complete-unavailability: seconds every watch endpoint must fail before it fires."))
    system_wide_fraction: float = Field(0.5, gt=0, le=1, description=(
        "Level 3 system-wide-failure: fires when a Level 1 trigger is active on at least this fraction of the "
        "sampled services at once (0.5: half of them, rounded up), and on no fewer than multiple_services."))
    breach_window_s: float = Field(300.0, gt=0, description=(
        "Level 3 security-breach-confirmed: a monitor alert about a service fires it when an auth-failures or "
        "error-rate event of that service lies within this many seconds of it (the alert alone does not)."))
    integrity_controls: list[str] = Field(default_factory=lambda: ["INF-09"], description=(
        "Level 3 data-integrity: control IDs whose failure in a controls round is a data integrity compromise "
        "(they must be among watch.controls to be run)."))


class Actions(Strict):
    """What a fired trigger does. Each action is opt-in; none runs unless set here."""

    restart_service: bool = Field(False, description=(
        "Level 1 service-down / memory-high: restart the service (`docker service update --force` on Swarm, "
        "a container restart on Compose)."))
    capture_logs: bool = Field(False, description=(
        "Level 1: write the affected service's logs and inspect output into evidence_dir/incidents."))
    capture_logs_since_s: float = Field(900.0, gt=0, description=(
        "Seconds of logs before the event that capture_logs writes."))
    notify_webhook: str = Field("", description=(
        "Every level: URL the event is POSTed to as JSON; \"\" = none. Only its origin is recorded, since a "
        "webhook's path often is its credential."))
    notify_command: list[str] = Field(default_factory=list, description=(
        "Every level: argv list run with the event as JSON on stdin; empty = none."))
    notify_timeout_s: float = Field(10.0, gt=0, description=(
        "Seconds each notification (webhook or command) may take."))
    rollback_command: list[str] = Field(default_factory=list, description=(
        "Level 3: argv list run once per emergency (the first Level 3 event; later ones within "
        "rollback_cooldown_s do not run it again), timed against kpi.rollback_s; empty = none."))
    rollback_timeout_s: float = Field(600.0, gt=0, description=(
        "Seconds the Level 3 rollback command may run before it is stopped (and recorded failed)."))
    rollback_cooldown_s: float = Field(1800.0, gt=0, description=(
        "Seconds after a Level 3 rollback during which further Level 3 events do not roll back again."))
    incident_bundle: bool = Field(False, description=(
        "Level 3: collect an incident bundle (as `nestgate incident collect`: logs since capture_logs_since_s "
        "before the event, inspect, last gate results, hashed) into evidence_dir."))


class Route(Strict):
    """Where one level's notifications go (in addition to actions.notify_webhook / notify_command)."""

    webhook: str = Field("", description="URL the event is POSTed to as JSON; \"\" = none (only its origin is "
                         "recorded).")
    command: list[str] = Field(default_factory=list, description="argv list run with the event as JSON on stdin.")


class Notify(Strict):
    """Notification routes per escalation level: who is told at which level."""

    level1: Route = Field(default_factory=Route, description="Level 1 (Automatic Response) events.")
    level2: Route = Field(default_factory=Route, description="Level 2 (Manual Intervention) events.")
    level3: Route = Field(default_factory=Route, description="Level 3 (Emergency Response) events.")


class Kpi(Strict):
    """The procedure's success metrics."""

    availability_percent: Percent = Field(99.9, description=(
        "`nestgate kpi`: per watch endpoint, the percent of samples answered OK must be at least this."))
    response_time_s: float = Field(2.0, gt=0, description=(
        "`nestgate kpi`: per watch endpoint, the p95 of 2xx answers must be under this many seconds."))
    error_rate_percent: float = Field(1.0, ge=0, le=100, description=(
        "`nestgate kpi`: failed requests over all requests to the watch endpoints, in percent, must be under "
        "this (0 % always meets)."))
    rollback_s: float = Field(300.0, gt=0, description=(
        "`nestgate kpi`: seconds; every rollback drill of `nestgate deploy` and every service-down's time to "
        "restoration in the period must be under this."))


class Watch(Strict):
    history: str = Field("reports/watch/history.sqlite", description=(
        "SQLite file of the watch history (samples, controls rounds, events), relative to the config file; "
        "`nestgate kpi` reads it."))
    evidence_dir: str = Field("reports/watch", description=(
        "Folder for captured logs, KPI pages and incident bundles, relative to the config file."))
    schedule: str = Field("5m:2h,15m:22h", description=(
        "When controls rounds run, INTERVAL:DURATION[,...] with s/m/h/d units: the default is every 5 min for "
        "2 h, then every 15 min for 22 h."))
    controls: list[str] = Field(default_factory=lambda: list(DEFAULT_CONTROLS), description=(
        "Control IDs each controls round runs (one or more known IDs)."))
    marker: str = Field("", description=(
        "Extra pytest -m expression for the controls rounds, ANDed with the controls' gates; \"\" = none."))
    round_timeout_s: float = Field(900.0, gt=0, description=(
        "Seconds a controls round may run; a longer one is killed and fails."))
    sample_every_s: float = Field(30.0, gt=0, description=(
        "Seconds between samples of the signals (service up, memory, logs, alerts, HTTP)."))
    endpoints: list[str] = Field(default_factory=lambda: ["/health", "/api/v1/health"], min_length=1, description=(
        "Paths (starting with '/') requested through target.base_url every sample, for availability and "
        "response time (triggers and KPIs). One or more: with none, the availability and response-time KPIs "
        "would have nothing to judge."))
    endpoint_timeout_s: float = Field(5.0, gt=0, description=(
        "Seconds each sampled HTTP request (endpoints, the monitor's alerts listing) may take."))
    triggers: Triggers = Field(default_factory=Triggers, description=(
        "Level 1 and Level 2 escalation conditions, evaluated after every sample."))
    actions: Actions = Field(default_factory=Actions, description="What a fired trigger does (each opt-in).")
    notify: Notify = Field(default_factory=Notify, description="Notification routes per level (each opt-in).")
    kpi: Kpi = Field(default_factory=Kpi, description="Targets of the procedure's success metrics (`nestgate kpi`).")

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
