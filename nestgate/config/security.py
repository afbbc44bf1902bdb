"""[security]: settings of the security gate (SEC-01 .. SEC-07). Defaults fit MediaNest."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from nestgate.config.base import SecretRef, Strict

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN")


class ScanReport(Strict):
    """One scanner report (SEC-01), relative to the config file's directory."""

    path: str
    format: Literal["trivy", "grype", "sarif"]
    # Older than this (report's own timestamp, else the file's mtime) = no current evidence.
    max_age_hours: float = Field(default=24.0, gt=0)


class ScanPolicy(Strict):
    # MediaNest's deploy-secure.sh creates security-reports/ and runs Trivy there:
    #   trivy image --format json -o security-reports/trivy.json <image>
    reports: list[ScanReport] = Field(
        default_factory=lambda: [ScanReport(path="security-reports/trivy.json", format="trivy")])
    # P0/P1: findings at these severities block, unless waived.
    blocking_severities: list[str] = Field(default_factory=lambda: ["CRITICAL", "HIGH"])
    # Finding waivers (nestgate/waivers.py format; id = CVE or finding ID); "" = no waivers.
    waivers_file: str = ""

    @field_validator("blocking_severities")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        upper = [v.upper() for v in value]
        unknown = [v for v in upper if v not in SEVERITIES]
        if unknown or not upper:
            raise ValueError(f"give one or more of {', '.join(SEVERITIES)}")
        return upper


class SecretsPolicy(Strict):
    # Swarm secrets named "<prefix>_..." belong to the target.
    prefix: str = "medianest"
    expected_count: int = 9
    max_age_days: float = 90.0


class Endpoint(Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    path: str


class AuthCheck(Strict):
    """SEC-03. MediaNest's real login is Plex PIN OAuth (needs a human at plex.tv), so its
    default is mode "token": the operator supplies a session token minted for a test user
    (a secret file or env var). The flow then covers auth health, the protected endpoint with
    and without the token, a forged token refused, logout, and the token refused afterwards.
    Logout revokes the token: mint a fresh one per run. Mode "password" logs in with the test
    account (username + password) and also proves a wrong password is refused."""

    mode: Literal["token", "password"] = "token"
    # MediaNest has no /api/auth/health (the docs' path answers the /api catch-all 404).
    health: Endpoint = Field(default_factory=lambda: Endpoint(path="/api/v1/health"))
    login: Endpoint = Field(default_factory=lambda: Endpoint(method="POST", path="/api/v1/auth/login"))
    username_field: str = "username"
    password_field: str = "password"
    # Where the login answer carries the token: a dotted JSON path, else this Set-Cookie cookie.
    token_json_path: str = "data.token"
    token_cookie: str = "token"
    protected: Endpoint = Field(default_factory=lambda: Endpoint(path="/api/v1/auth/session"))
    logout: Endpoint = Field(default_factory=lambda: Endpoint(method="POST", path="/api/v1/auth/logout"))
    # How requests present the token: "bearer" (Authorization header) or "cookie" (cookie_name).
    token_location: Literal["bearer", "cookie"] = "bearer"
    cookie_name: str = "token"
    # Double-submit CSRF before logout (MediaNest: GET /api/v1/csrf/token, cookie csrf-token,
    # header x-csrf-token); "" = none.
    csrf_path: str = "/api/v1/csrf/token"
    csrf_cookie: str = "csrf-token"
    csrf_header: str = "x-csrf-token"
    csrf_json_path: str = "data.csrfToken"
    # The test account (mode "password"): the name is not a secret, the password is.
    username: str = ""
    password: SecretRef | None = None
    token: SecretRef | None = Field(default_factory=lambda: SecretRef(file="secrets/sec03_session_token"))

    @model_validator(mode="after")
    def _credentials_for_mode(self) -> AuthCheck:
        if self.mode == "password" and (not self.username or self.password is None):
            raise ValueError("mode \"password\" needs a username and a password reference")
        if self.mode == "token" and self.token is None:
            raise ValueError("mode \"token\" needs a token reference")
        return self


class Hardening(Strict):
    """SEC-04."""

    # Capabilities a service may add back after dropping ALL (names without CAP_).
    cap_add_allowed: dict[str, list[str]] = Field(default_factory=dict)
    # Bind-mount sources that must never reach a container (a path or anything under it).
    sensitive_host_paths: list[str] = Field(default_factory=lambda: [
        "/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run",
        "/var/lib/docker", "/usr", "/lib", "/bin", "/sbin", "/home"])


class Isolation(Strict):
    """SEC-05. Ports of each data service probed from the host (besides its exposed ports)."""

    data_ports: dict[str, list[int]] = Field(
        default_factory=lambda: {"postgres": [5432], "redis": [6379]})
    connect_timeout_s: float = Field(default=1.0, gt=0)


class Rotation(Strict):
    """SEC-06 drill. Runs only when allow_destructive is true or $NESTGATE_ALLOW_DESTRUCTIVE=1
    (staging only): creates <prefix>_<secret>_v(N+1), moves every service using _vN to it
    (same target file), waits until they converge healthy, removes _vN. Without it the drill
    is planned and its preconditions checked, and the evidence says it did not run."""

    allow_destructive: bool = False
    # The base name (between the prefix and _vN) of the secret the drill rotates.
    secret: str = "jwt_secret"
    # The new value; None = 48 random bytes (fine for a JWT signing key: sessions end).
    new_value: SecretRef | None = None
    converge_timeout_s: float = Field(default=180.0, gt=0)


class Monitoring(Strict):
    """SEC-07. MediaNest ships no alerting monitor (scripts/security-monitor.sh only prints a
    report and never alerts): point these at the monitor you run. Paths are under base_url
    ("" = target.base_url). The test alert carries a unique marker; an alert is "seen" when
    the alerts listing contains it."""

    service: str = "monitor"
    base_url: str = ""
    health_path: str = "/monitor/health"
    heartbeat_path: str = "/monitor/heartbeat"
    # Where the heartbeat answer says when the monitor last beat: a timestamp (ISO 8601, dotted
    # JSON path), else an age in seconds. A monitor that never beat has no timestamp: stale.
    heartbeat_time_field: str = "last_beat"
    heartbeat_age_field: str = ""
    heartbeat_max_age_s: float = Field(default=30.0, gt=0)
    alert_path: str = "/monitor/alerts/test"
    alerts_path: str = "/monitor/alerts"
    alert_deadline_s: float = Field(default=15.0, gt=0)


class Security(Strict):
    scan: ScanPolicy = Field(default_factory=ScanPolicy)
    secrets: SecretsPolicy = Field(default_factory=SecretsPolicy)
    auth: AuthCheck = Field(default_factory=AuthCheck)
    hardening: Hardening = Field(default_factory=Hardening)
    isolation: Isolation = Field(default_factory=Isolation)
    rotation: Rotation = Field(default_factory=Rotation)
    monitoring: Monitoring = Field(default_factory=Monitoring)
