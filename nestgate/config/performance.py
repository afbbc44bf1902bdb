"""[performance]: settings of the performance gate (PRF-01 .. PRF-06)."""

from __future__ import annotations

from pydantic import Field, model_validator

from nestgate.config.base import Strict


class Performance(Strict):
    # PRF-01: the frontend build output, relative to target.project_dir. Sizes are apparent sizes
    # (file lengths, hard links once) in MiB, the unit `du -h` prints as "M".
    bundle_dir: str = "frontend/.next"
    bundle_limit_mb: float = Field(10.0, gt=0)
    # Paths under bundle_dir left out of the total (a path excludes everything beneath it;
    # fnmatch patterns allowed). Next.js's webpack cache does not ship.
    bundle_exclude: list[str] = Field(default_factory=lambda: ["cache"])

    # PRF-03: the service whose database pool is checked. Its limit is the first of pool_limit_vars
    # set in its environment, else the `connection_limit` parameter (Prisma) of pool_url_var.
    pool_service: str = "app"
    pool_limit_vars: list[str] = Field(default_factory=lambda: ["DB_POOL_MAX"])
    pool_url_var: str = "DATABASE_URL"
    # The burst: this many requests to this path, this many at once; it must touch the database
    # (MediaNest: /health/ready checks database and cache; /api/health does not query the database).
    pool_burst_path: str = "/health/ready"
    pool_burst_requests: int = Field(40, ge=1)
    pool_burst_concurrency: int = Field(20, ge=1)

    # PRF-04 and PRF-06: rounds of `docker stats`, each sampling every container at once, this far
    # apart; CPU is the mean over the window between the first and the last round.
    stats_samples: int = Field(4, ge=2)
    stats_interval_s: float = Field(1.0, gt=0)
    memory_total_limit_mb: float = Field(2048.0, gt=0)
    memory_percent_limit: float = Field(80.0, gt=0)
    # Percent of the container's CPU limit (of the host's CPUs when it has none).
    cpu_percent_limit: float = Field(70.0, gt=0)

    # PRF-05: p95 and max of response_requests sequential requests to each endpoint (base_url + path).
    response_endpoints: list[str] = Field(default_factory=lambda: ["/api/health"])
    response_requests: int = Field(20, ge=1)
    response_time_limit_s: float = Field(2.0, gt=0)
    # A request unanswered this long counts as failed; above the limit so a slow answer is measured.
    response_timeout_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _timeout_above_limit(self) -> Performance:
        if self.response_timeout_s <= self.response_time_limit_s:
            raise ValueError("response_timeout_s must be greater than response_time_limit_s")
        return self
