"""[infra]: settings of the infrastructure gate (INF-01 .. INF-08)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from nestgate.config.base import Port, SecretRef, Strict
from nestgate.config.integrity import Integrity

# A placeholder is a value nobody meant to ship; names are printed, values never are.
DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "changeme": r"(?i)change[-_ ]?me",
    "example": r"(?i)example",
    "TODO": r"(?i)(?<![a-z])(todo|fixme)(?![a-z])",
    "unevaluated $(...)": r"\$\([^)]*\)?|`[^`]*`",
    "unresolved ${...}": r"\$\{[^}]*\}",
}


def _compiles(patterns: dict[str, str]) -> dict[str, str]:
    for name, pattern in patterns.items():
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {name!r} is not a valid regular expression: {exc}") from None
    return patterns


class EnvCheck(Strict):
    """INF-02: required environment variables, where the services get them."""

    services: list[str] = Field(default_factory=lambda: ["app"], description=(
        "INF-02: the services that read the required variables, one subject each (MediaNest: the backend, "
        "service `app`)."))
    required: list[str] = Field(default_factory=list, description=(
        "INF-02: names of the variables that must be set, non-empty and no placeholder; empty = the entries "
        "env_example marks required (an entry with a value, or left empty with a note on how to fill it; "
        "commented-out, bare empty, or noted `optional` entries are optional). Every variable a service "
        "receives, required or not, fails when empty or a placeholder."))
    optional: list[str] = Field(default_factory=list, description=(
        "INF-02: names that are optional whatever env_example says: unset is noted in the evidence, not failed "
        "(set, they must still hold a real value)."))
    env_example: str = Field(".env.example", description=(
        "INF-02: the example env file whose entries say which variables are required when required is empty, "
        "relative to target.project_dir."))
    placeholders: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PLACEHOLDERS), min_length=1, description=(
        "INF-02: kind of placeholder -> regular expression searched in each value. A match fails; only the "
        "kind is printed, never the value. One or more: an empty table would switch the placeholder check off."))

    @field_validator("placeholders")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        return _compiles(value)


class Database(Strict):
    """INF-03 and INF-05: the PostgreSQL service and the application's credentials.

    nestgate runs the server's own client (psql, pg_dump) inside the service's container through
    the engine's exec API, so the data network stays unpublished (SEC-05)."""

    service: str = Field("postgres", description=(
        "INF-03/INF-05 (and PRF-03's connection count): the PostgreSQL service; psql and pg_dump run inside "
        "its container."))
    port: Port = Field(5432, description="INF-03/INF-05: PostgreSQL's TCP port inside the data network.")
    dbname: str = Field("medianest", description=(
        "INF-03/INF-05: the application's database (MediaNest: `${POSTGRES_DB:-medianest}`); a name, not "
        "a credential."))
    user: str = Field("medianest", description=(
        "INF-03/INF-05: the application's database role (MediaNest: `${POSTGRES_USER:-medianest}`); a name, "
        "not a credential."))
    password: SecretRef = Field(default_factory=lambda: SecretRef(env="POSTGRES_PASSWORD"), description=(
        "INF-03/INF-05: where the role's password comes from: env or file, never the value itself."))
    maintenance_db: str = Field("postgres", description=(
        "INF-05: database to connect to for CREATE/DROP DATABASE of the drill's scratch copy."))


class RedisCheck(Strict):
    """INF-03: Redis answers PING with its password (redis-cli inside the service's container)."""

    service: str = Field("redis", description="INF-03: the Redis service; redis-cli runs inside its container.")
    port: Port = Field(6379, description="INF-03: Redis's TCP port inside the data network.")
    password: SecretRef = Field(default_factory=lambda: SecretRef(env="REDIS_PASSWORD"), description=(
        "INF-03: where Redis's password comes from: env or file, never the value itself."))


class AppReport(Strict):
    """INF-03: where an app service reports its own database connection."""

    service: str = Field(description="INF-03: the app service whose report this is (the test's subject).")
    path: str = Field(description="INF-03: GET path of the report, requested through target.base_url.")
    field: str = Field(description=(
        "INF-03: dotted path into the JSON body; a list step matches the element whose name/id/component is "
        "the key. The value there is a status string, or an object carrying status_field."))


class HealthEndpoint(Strict):
    """INF-04: one health endpoint, requested through target.base_url."""

    path: str = Field(description="INF-04: GET path of the endpoint, under target.base_url.")
    timeout_s: float = Field(10.0, gt=0, description="INF-04: seconds within which the endpoint must answer 2xx.")


class Backup(Strict):
    """INF-05: the backup drill (pg_dump, restore into a scratch database, compare, drop)."""

    scratch_prefix: str = Field("nestgate_drill", description=(
        "INF-05: name prefix of the scratch database the dump is restored into (a random suffix is added)."))
    timeout_s: float = Field(300.0, gt=0, description=(
        "INF-05: upper bound in seconds for the whole drill (dump, restore, checksums, drop)."))
    attempts: int = Field(3, ge=1, description=(
        "INF-05: dump attempts when live tables change while the dump runs (each attempt checksums before "
        "and after)."))


class Services(Strict):
    """INF-06: replicas, health, and no task failures or restarts within the window."""

    window_min: float = Field(60.0, gt=0, description=(
        "INF-06: minutes back from now in which no task of a Swarm service may have failed or restarted."))


class Logs(Strict):
    """INF-07: error lines in the stack's container logs over the window."""

    window_min: float = Field(60.0, gt=0, description="INF-07: minutes of container logs read back from now.")
    pattern: str = Field(r"(?i)\b(error|fatal|panic|critical)\b", description=(
        "INF-07: regular expression; a log line matching it is an error line. The watch counts error lines "
        "with it too."))

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _compiles({"pattern": value})["pattern"]


class Rollback(Strict):
    """INF-08: each built service has a previous image to roll back to (ready), and a rollback drill
    restored the stack within infra.rollback_limit_s recently (tested)."""

    record_file: str = Field("", description=(
        "INF-08: optional JSON record a deploy wrapper writes ({\"services\": {\"app\": {\"previous_image\": "
        "\"...\"}}}), relative to the config file; used for services whose swarm spec carries no PreviousSpec. "
        "\"\" = none."))
    drill_max_age_days: float = Field(30.0, gt=0, description=(
        "INF-08: the newest rollback drill must have finished within this many days, restored the stack and "
        "stayed within rollback_limit_s."))
    drill_reports: str = Field("reports", description=(
        "INF-08: the reports folder of `nestgate deploy` (its --reports, by default <suite>/reports), relative "
        "to the config file: every <timestamp>-deploy*/rollback.json under it is read, and those of kind "
        "\"drill\" (`nestgate deploy --rollback-drill`) count. \"\" = none."))
    drill_record: str = Field("", description=(
        "INF-08: optional JSON file of rollback drill records in rollback.json's format (one object or a list), "
        "relative to the config file, for drills run by other tooling. \"\" = none; drill_reports and "
        "drill_record cannot both be none."))

    @model_validator(mode="after")
    def _somewhere(self) -> Rollback:
        if not self.drill_reports and not self.drill_record:
            raise ValueError("drill_reports and drill_record are both \"\": say where rollback drills are recorded")
        return self


class Infra(Strict):
    errors_per_minute_limit: float = Field(10.0, gt=0, description=(
        "INF-07: the most error lines within any 60 s span of the window must stay under this."))
    rollback_limit_s: float = Field(300.0, gt=0, description=(
        "INF-08: seconds `nestgate deploy --rollback` gets to restore the stack (rollback command, then the "
        "post-deploy gate passing again); a recorded rollback drill must have restored it within this."))
    env: EnvCheck = Field(default_factory=EnvCheck, description="INF-02: required environment variables.")
    database: Database = Field(default_factory=Database, description=(
        "INF-03 and INF-05: the PostgreSQL service and the application's credentials."))
    redis: RedisCheck = Field(default_factory=RedisCheck, description="INF-03: the Redis service and its password.")
    app_reports: list[AppReport] = Field(
        default_factory=lambda: [AppReport(service="app", path="/health/ready", field="checks.database")],
        description=(
            "INF-03: where each app service reports its own database connection, one subject each. MediaNest's "
            "backend reports database and cache under /health/ready."))
    health_endpoints: list[HealthEndpoint] = Field(default_factory=lambda: [
        HealthEndpoint(path="/health"), HealthEndpoint(path="/api/health"),
        HealthEndpoint(path="/api/v1/health")], description=(
        "INF-04: the health endpoints, one subject each. The defaults are MediaNest's health endpoint of each "
        "router (server /health, /api/health, /api/v1/health); the procedure's /api/auth/health and "
        "/api/media/health do not exist in MediaNest (its /api/* 404). /health/ready is INF-03's database "
        "report and /health/live the container healthcheck (BLD-05, INF-06)."))
    healthy_statuses: list[str] = Field(
        default_factory=lambda: ["healthy", "ok", "up", "pass", "ready", "alive"], description=(
            "INF-03/INF-04: a JSON body's status field must hold one of these (case-insensitive)."))
    status_field: str = Field("status", description=(
        "INF-03/INF-04: name of the status field in a JSON health answer."))
    backup: Backup = Field(default_factory=Backup, description="INF-05: the backup and restore drill.")
    services: Services = Field(default_factory=Services, description=(
        "INF-06: the window for task failures and restarts."))
    logs: Logs = Field(default_factory=Logs, description="INF-07: which log lines count as errors, over what window.")
    rollback: Rollback = Field(default_factory=Rollback, description=(
        "INF-08: where previous images and rollback drills are recorded, and how recent a drill must be."))
    integrity: Integrity = Field(default_factory=Integrity, description=(
        "INF-09: amcheck, foreign-key orphans and the deploy's before/after row counts and checksums."))
