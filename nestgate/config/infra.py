"""[infra]: settings of the infrastructure gate (INF-01 .. INF-08)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from nestgate.config.base import SecretRef, Strict

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

    # The services that read the required variables (MediaNest: the backend, service `app`).
    services: list[str] = Field(default_factory=lambda: ["app"])
    # Required names; empty = every variable named in env_example (relative to target.project_dir).
    required: list[str] = Field(default_factory=list)
    env_example: str = ".env.example"
    # Kind of placeholder -> regex searched in the value. A match fails; only the kind is printed.
    placeholders: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_PLACEHOLDERS))

    @field_validator("placeholders")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        return _compiles(value)


class Database(Strict):
    """INF-03 and INF-05: the PostgreSQL service and the application's credentials.

    nestgate runs the server's own client (psql, pg_dump) inside the service's container through
    the engine's exec API, so the data network stays unpublished (SEC-05)."""

    service: str = "postgres"
    port: int = 5432
    # MediaNest's defaults (`${POSTGRES_DB:-medianest}`, `${POSTGRES_USER:-medianest}`): names, not credentials.
    dbname: str = "medianest"
    user: str = "medianest"
    password: SecretRef = Field(default_factory=lambda: SecretRef(env="POSTGRES_PASSWORD"))
    # Database to connect to for CREATE/DROP DATABASE of the drill's scratch copy.
    maintenance_db: str = "postgres"


class RedisCheck(Strict):
    """INF-03: Redis answers PING with its password (redis-cli inside the service's container)."""

    service: str = "redis"
    port: int = 6379
    password: SecretRef = Field(default_factory=lambda: SecretRef(env="REDIS_PASSWORD"))


class AppReport(Strict):
    """INF-03: where an app service reports its own database connection."""

    service: str
    path: str  # requested through target.base_url
    # Dotted path into the JSON body; a list step matches the element whose name/id/component is the key.
    # The value there is a status string, or an object carrying `status`.
    field: str


class HealthEndpoint(Strict):
    """INF-04: one health endpoint, requested through target.base_url."""

    path: str
    timeout_s: float = 10.0


class Backup(Strict):
    """INF-05: the backup drill (pg_dump, restore into a scratch database, compare, drop)."""

    scratch_prefix: str = "nestgate_drill"
    # Upper bound for the whole drill (dump, restore, checksums, drop).
    timeout_s: float = 300.0
    # Attempts when live tables change while the dump runs (each attempt checksums before and after).
    attempts: int = 3


class Services(Strict):
    """INF-06: replicas, health, and no task failures or restarts within the window."""

    window_min: float = 60.0


class Logs(Strict):
    """INF-07: error lines in the stack's container logs over the window."""

    window_min: float = 60.0
    pattern: str = r"(?i)\b(error|fatal|panic|critical)\b"

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, value: str) -> str:
        return _compiles({"pattern": value})["pattern"]


class Rollback(Strict):
    """INF-08: each built service has a previous image to roll back to."""

    # Optional JSON record a deploy wrapper writes: {"services": {"app": {"previous_image": "..."}}},
    # relative to the config file. Used for services whose swarm spec carries no PreviousSpec.
    record_file: str = ""


class Infra(Strict):
    errors_per_minute_limit: float = 10.0
    rollback_limit_s: float = 300.0
    env: EnvCheck = Field(default_factory=EnvCheck)
    database: Database = Field(default_factory=Database)
    redis: RedisCheck = Field(default_factory=RedisCheck)
    # MediaNest's backend reports database and cache under /health/ready (routes/simple-health.ts).
    app_reports: list[AppReport] = Field(
        default_factory=lambda: [AppReport(service="app", path="/health/ready", field="checks.database")])
    # The procedure's endpoints. In the real MediaNest backend only /health exists; the other two
    # fall into the /api/* 404 (see MEDIANEST.md): kept as the procedure states them.
    health_endpoints: list[HealthEndpoint] = Field(default_factory=lambda: [
        HealthEndpoint(path="/health"), HealthEndpoint(path="/api/auth/health"),
        HealthEndpoint(path="/api/media/health")])
    # A JSON body's status field must hold one of these (case-insensitive).
    healthy_statuses: list[str] = Field(default_factory=lambda: ["healthy", "ok", "up", "pass", "ready", "alive"])
    status_field: str = "status"
    backup: Backup = Field(default_factory=Backup)
    services: Services = Field(default_factory=Services)
    logs: Logs = Field(default_factory=Logs)
    rollback: Rollback = Field(default_factory=Rollback)
