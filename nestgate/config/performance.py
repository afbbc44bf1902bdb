"""[performance]: settings of the performance gate (PRF-01 .. PRF-06)."""

from __future__ import annotations

from pydantic import Field, model_validator

from nestgate.config.base import Percent, Strict


class Performance(Strict):
    bundle_dir: str = Field("frontend/.next", description=(
        "PRF-01: the frontend build output, relative to target.project_dir."))
    bundle_limit_mb: float = Field(10.0, gt=0, description=(
        "PRF-01: MiB (the unit `du -h` prints as \"M\"); the apparent size of bundle_dir (file lengths, hard "
        "links once), minus bundle_exclude, must stay under it."))
    bundle_exclude: list[str] = Field(default_factory=lambda: ["cache"], description=(
        "PRF-01: paths under bundle_dir left out of the total (a path excludes everything beneath it; fnmatch "
        "patterns allowed). Next.js's webpack cache does not ship."))

    pool_service: str = Field("app", description=(
        "PRF-03: the service whose database connection pool is checked."))
    pool_limit_vars: list[str] = Field(default_factory=lambda: ["DB_POOL_MAX"], description=(
        "PRF-03: environment variables holding the pool limit; the first one set in pool_service's "
        "environment wins."))
    pool_url_var: str = Field("DATABASE_URL", description=(
        "PRF-03: environment variable holding the database URL whose `connection_limit` parameter (Prisma) "
        "is the pool limit when no pool_limit_vars is set; its value is never printed."))
    pool_burst_path: str = Field("/health/ready", description=(
        "PRF-03: path (under target.base_url) of the burst; it must touch the database (MediaNest: "
        "/health/ready checks database and cache; /api/health does not query the database)."))
    pool_burst_requests: int = Field(40, ge=1, description="PRF-03: requests in the burst.")
    pool_burst_concurrency: int = Field(20, ge=1, description="PRF-03: requests of the burst in flight at once.")

    stats_samples: int = Field(4, ge=2, description=(
        "PRF-04 and PRF-06: rounds of `docker stats`, each sampling every container of the stack at once."))
    stats_interval_s: float = Field(1.0, gt=0, description=(
        "PRF-04 and PRF-06: seconds between stats rounds; CPU is the mean over the window between the first "
        "and the last round."))
    memory_total_limit_mb: float = Field(2048.0, gt=0, description=(
        "PRF-04: MiB; the stack's total memory use (peak over the stats rounds, as docker stats computes it) "
        "must stay under it."))
    memory_percent_limit: Percent = Field(80.0, description=(
        "PRF-06: percent of each container's memory limit its peak memory use must stay under."))
    cpu_percent_limit: Percent = Field(70.0, description=(
        "PRF-06: percent of the container's CPU limit (of the host's CPUs when it has none) its mean CPU use "
        "must stay under."))

    response_endpoints: list[str] = Field(default_factory=lambda: ["/api/health"], description=(
        "PRF-05: paths requested under target.base_url, one subject each."))
    response_requests: int = Field(20, ge=1, description=(
        "PRF-05: sequential requests per endpoint; their p95 (nearest rank) and max are judged."))
    response_time_limit_s: float = Field(2.0, gt=0, description=(
        "PRF-05: seconds; p95 and max response time must stay under it."))
    response_timeout_s: float = Field(5.0, gt=0, description=(
        "PRF-05: seconds; a request unanswered this long counts as failed. Must be above response_time_limit_s "
        "so that a slow answer is measured."))

    @model_validator(mode="after")
    def _timeout_above_limit(self) -> Performance:
        if self.response_timeout_s <= self.response_time_limit_s:
            raise ValueError("response_timeout_s must be greater than response_time_limit_s")
        return self
