"""[security]: settings of the security gate (SEC-01 .. SEC-07). Defaults fit MediaNest."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from nestgate.config.base import PORT_MAX, PORT_MIN, SecretRef, Strict

_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN")


class ScanReport(Strict):
    """One scanner report (SEC-01), relative to target.project_dir."""

    path: str = Field(description="SEC-01: the report file, relative to target.project_dir.")
    format: Literal["trivy", "grype", "sarif"] = Field(description=(
        "SEC-01: the report's format: \"trivy\" (Trivy JSON), \"grype\" (Grype JSON) or \"sarif\" (SARIF 2.1.0)."))
    max_age_hours: float = Field(default=24.0, gt=0, description=(
        "SEC-01: hours; a report older than this, by its own time (Trivy CreatedAt, Grype descriptor.timestamp, "
        "SARIF runs[].invocations[].endTimeUtc), is no current evidence. A report whose time is missing or does "
        "not parse fails: the file's mtime is never used (Trivy's SARIF carries no time: use its JSON)."))


class ScanPolicy(Strict):
    reports: list[ScanReport] = Field(
        default_factory=lambda: [ScanReport(path="security-reports/trivy.json", format="trivy")], description=(
            "SEC-01: the scanner reports to judge; none configured fails (no scan evidence). Together they must "
            "cover every image the compose model names or builds: one report per image (e.g. "
            "security-reports/trivy-<service>.json) or reports that name several. MediaNest's deploy-secure.sh "
            "runs Trivy into security-reports/: `trivy image --format json -o security-reports/trivy.json <image>`."))
    blocking_severities: list[str] = Field(default_factory=lambda: ["CRITICAL", "HIGH"], description=(
        "SEC-01: findings at these severities (P0/P1) block unless waived; one or more of CRITICAL, HIGH, "
        "MEDIUM, LOW, NEGLIGIBLE, UNKNOWN (case-insensitive)."))

    @model_validator(mode="before")
    @classmethod
    def _waivers_moved(cls, data: Any) -> Any:
        # Finding waivers moved to the run's one waiver file: say so instead of a bare "unknown key".
        if isinstance(data, dict) and "waivers_file" in data:
            raise PydanticCustomError("waivers_moved", "waivers_file: unknown key (finding waivers, e.g. CVE IDs, "
                                      "now go in the run's waiver file: --waivers=FILE or $NESTGATE_WAIVERS)")
        return data

    @field_validator("blocking_severities")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        upper = [v.upper() for v in value]
        unknown = [v for v in upper if v not in SEVERITIES]
        if unknown or not upper:
            raise ValueError(f"give one or more of {', '.join(SEVERITIES)}")
        return upper


class SecretsPolicy(Strict):
    prefix: str = Field("medianest", description=(
        "SEC-02/SEC-06: Swarm secrets named \"<prefix>_...\" belong to the target (versioned as "
        "<prefix>_<name>_vN)."))
    expected_count: int = Field(9, ge=1, description=(
        "SEC-02: exact number of Swarm secrets named <prefix>_* that must exist "
        "(`docker secret ls | grep medianest | wc -l`); 0 would let a stack without secrets pass."))
    max_age_days: float = Field(90.0, gt=0, description=(
        "SEC-06: days; every <prefix>_* secret must be younger than this."))
    min_secret_length: int = Field(12, ge=1, description=(
        "SEC-02: characters; every secret the config names (env or file) must be at least this long. A "
        "shorter one, or one that equals, contains or occurs in a public name of the config (stack, target, "
        "service, user or database name, URL host), fails SEC-02; its value is never printed."))
    ages_as_of: dt.date | None = Field(None, description=(
        "SEC-06: judge secret ages as of the end of this day (UTC) instead of now, to ask \"will any secret be "
        "over max_age_days on the deploy day?\" A TOML date (2027-03-12) or the same as a string. Today or "
        "later only: a past day would make old secrets look young. Not set = now."))

    @field_validator("ages_as_of", mode="before")
    @classmethod
    def _iso_day(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not _ISO_DAY.fullmatch(value):
                raise PydanticCustomError("iso_day", "not a day as YYYY-MM-DD")
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise PydanticCustomError("iso_day", "not a day of the calendar (YYYY-MM-DD)") from None
        return value

    @field_validator("ages_as_of")
    @classmethod
    def _not_past(cls, value: dt.date | None) -> dt.date | None:
        today = dt.datetime.now(dt.UTC).date()
        if value is not None and value < today:
            raise PydanticCustomError(
                "day_in_past", "{day} is before today ({today}, UTC): a past day would make old secrets look "
                "young; give today or a later day", {"day": value.isoformat(), "today": today.isoformat()})
        return value


class Endpoint(Strict):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field("GET", description=(
        "HTTP method of the request."))
    path: str = Field(description="Path of the request, under target.base_url.")


# Claims nestgate sets on every minted token itself (fresh times and session per run).
MINTED_CLAIMS = ("iat", "exp", "jti")


class TokenMint(Strict):
    """SEC-03, mode "token": nestgate signs a fresh session token itself before each run (HS256 with
    the app's JWT secret), instead of reading one the operator minted. The token and the secret are
    never printed."""

    secret: SecretRef = Field(description=(
        "SEC-03: where the app's JWT signing secret comes from (MediaNest: JWT_SECRET, the jwt_secret "
        "Docker secret): env or file, never the value itself."))
    claims: dict[str, str] = Field(min_length=1, description=(
        "SEC-03: the token's claims naming the test user as the app reads them, e.g. { userId = \"...\", "
        "role = \"USER\" }; iat, exp and jti (the session) are set by nestgate on every run."))
    ttl_s: int = Field(600, ge=60, description=(
        "SEC-03: seconds the minted token stays valid (its exp claim); logout revokes it sooner."))

    @field_validator("claims")
    @classmethod
    def _not_minted(cls, value: dict[str, str]) -> dict[str, str]:
        if taken := [k for k in value if k in MINTED_CLAIMS]:
            raise ValueError(f"{', '.join(taken)}: set by nestgate on every mint (leave out)")
        return value


class AuthCheck(Strict):
    """SEC-03. MediaNest's real login is Plex PIN OAuth (needs a human at plex.tv), so its
    default is mode "token": a session token for a test user, handed over in a secret file or
    env var (token), or signed by nestgate with the app's JWT secret on every run (mint). The
    flow covers health, the protected endpoint with and without the token and with forged ones
    (re-signed with another key, unsigned; expired when minting), a logout without the CSRF token
    refused, logout with it, and the token refused afterwards. Logout revokes the token: a handed-
    over one must be fresh per run. Mode "password" logs in with the test account (username +
    password) and also proves a wrong password is refused."""

    mode: Literal["token", "password"] = Field("token", description=(
        "SEC-03: \"token\" starts from an operator-supplied session token (token); \"password\" logs in with "
        "the test account (username, password) and also checks that a wrong password is refused."))
    health: Endpoint = Field(default_factory=lambda: Endpoint(path="/api/v1/health"), description=(
        "SEC-03: the auth health request, which must answer 2xx. MediaNest has no /api/auth/health "
        "(that path answers the /api catch-all 404)."))
    login: Endpoint = Field(default_factory=lambda: Endpoint(method="POST", path="/api/v1/auth/login"),
                            description="SEC-03: the login request (mode \"password\" only), a JSON body.")
    username_field: str = Field("username", description=(
        "SEC-03: JSON key of the login body that carries the username (mode \"password\")."))
    password_field: str = Field("password", description=(
        "SEC-03: JSON key of the login body that carries the password (mode \"password\")."))
    token_json_path: str = Field("data.token", description=(
        "SEC-03: where the login answer carries the token: a dotted JSON path, tried before token_cookie."))
    token_cookie: str = Field("token", description=(
        "SEC-03: Set-Cookie cookie of the login answer that carries the token when token_json_path finds none."))
    protected: Endpoint = Field(default_factory=lambda: Endpoint(path="/api/v1/auth/session"), description=(
        "SEC-03: a request that needs a session: 2xx with the token, 401/403 without it, with a forged one, "
        "and after logout."))
    logout: Endpoint = Field(default_factory=lambda: Endpoint(method="POST", path="/api/v1/auth/logout"),
                             description="SEC-03: the logout request, which must answer 2xx and revoke the token.")
    token_location: Literal["bearer", "cookie"] = Field("bearer", description=(
        "SEC-03: how requests present the token: \"bearer\" (Authorization header) or \"cookie\" (cookie_name)."))
    cookie_name: str = Field("token", description=(
        "SEC-03: cookie that carries the token when token_location is \"cookie\"."))
    csrf_path: str = Field("/api/v1/csrf/token", description=(
        "SEC-03: GET path that hands out the double-submit CSRF token needed before logout "
        "(MediaNest: /api/v1/csrf/token); \"\" = no CSRF step."))
    csrf_cookie: str = Field("csrf-token", description=(
        "SEC-03: cookie that carries the CSRF token, read from the CSRF answer when csrf_json_path finds none "
        "and sent back with the logout."))
    csrf_header: str = Field("x-csrf-token", description=(
        "SEC-03: request header that repeats the CSRF token on the logout."))
    csrf_json_path: str = Field("data.csrfToken", description=(
        "SEC-03: dotted JSON path of the CSRF token in the CSRF answer."))
    username: str = Field("", description=(
        "SEC-03: the test account's name (mode \"password\"); a name, not a secret."))
    password: SecretRef | None = Field(None, description=(
        "SEC-03: where the test account's password comes from (mode \"password\"): env or file, never the "
        "value itself."))
    token: SecretRef | None = Field(
        default_factory=lambda: SecretRef(file="secrets/sec03_session_token"), description=(
            "SEC-03: where the session token comes from (mode \"token\"): env or file. Logout revokes it: "
            "mint a fresh one per run. Not read when mint is given."))
    mint: TokenMint | None = Field(None, description=(
        "SEC-03: sign a fresh session token (HS256) on every run instead of reading token (mode \"token\"): "
        "{ secret = { env = \"JWT_SECRET\" }, claims = { userId = \"...\" }, ttl_s = 600 }. secret: the app's "
        "JWT signing secret (a SecretRef); claims: the test user's claims as the app reads them (strings; iat, "
        "exp and jti are set by nestgate); ttl_s: seconds the token is valid (60 or more, default 600). An "
        "expired token signed the same way must then be refused too. Give token or mint, not both."))

    @model_validator(mode="after")
    def _credentials_for_mode(self) -> AuthCheck:
        if self.mode == "password" and (not self.username or self.password is None):
            raise ValueError("mode \"password\" needs a username and a password reference")
        if self.mode == "token" and self.token is None and self.mint is None:
            raise ValueError("mode \"token\" needs a token reference or a mint section")
        if self.mint is not None and "token" in self.model_fields_set:
            raise ValueError("give token (a handed-over session token) or mint (nestgate signs one), not both")
        return self


class Hardening(Strict):
    """SEC-04."""

    cap_add_allowed: dict[str, list[str]] = Field(default_factory=dict, description=(
        "SEC-04: per service, the capabilities it may add back after dropping ALL (names without CAP_), "
        "e.g. { nginx = [\"NET_BIND_SERVICE\"] }."))
    sensitive_host_paths: list[str] = Field(default_factory=lambda: [
        "/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run",
        "/var/lib/docker", "/usr", "/lib", "/bin", "/sbin", "/home"], min_length=1, description=(
        "SEC-04: bind-mount sources that must never reach a container (the path or anything under it). One or "
        "more: an empty list would switch the bind-mount check off."))


class Isolation(Strict):
    """SEC-05. Ports of each data service probed from the host (besides its exposed ports)."""

    data_ports: dict[str, list[int]] = Field(
        default_factory=lambda: {"postgres": [5432], "redis": [6379]}, description=(
            "SEC-05: per data service, the ports a TCP connect from the host must find refused, besides the "
            "ports its container exposes; each 1 to 65535."))
    connect_timeout_s: float = Field(default=1.0, gt=0, description=(
        "SEC-05: seconds each TCP connect from the host may take."))

    @field_validator("data_ports")
    @classmethod
    def _ports(cls, value: dict[str, list[int]]) -> dict[str, list[int]]:
        # Not dict[str, list[Port]]: the config reference spells nested Annotated types by their
        # wrapper's name. The bound is base.Port's all the same: port 0 or 70000 probes nothing.
        bad = [f"{service} = {port}" for service, ports in value.items() for port in ports
               if not PORT_MIN <= port <= PORT_MAX]
        if bad:
            raise ValueError(f"ports are {PORT_MIN} to {PORT_MAX}, not {', '.join(bad)}")
        return value


class Rotation(Strict):
    """SEC-06 drill. Runs only when allow_destructive is true or $NESTGATE_ALLOW_DESTRUCTIVE=1
    (staging only): creates <prefix>_<secret>_v(N+1), moves every service using _vN to it
    (same target file), waits until they converge healthy, removes _vN. Without it the drill
    is planned and its preconditions checked, and the evidence says it did not run."""

    allow_destructive: bool = Field(False, description=(
        "SEC-06: run the rotation drill for real (staging only; $NESTGATE_ALLOW_DESTRUCTIVE=1 does the same "
        "for one run). Otherwise the drill is only planned and checked (SEC-06[dry-run])."))
    secret: str = Field("jwt_secret", description=(
        "SEC-06: base name (between the prefix and _vN) of the secret the drill rotates."))
    new_value: SecretRef | None = Field(None, description=(
        "SEC-06: where the rotated secret's new value comes from; none = 48 random bytes (fine for a JWT "
        "signing key: sessions end)."))
    converge_timeout_s: float = Field(default=180.0, gt=0, description=(
        "SEC-06: seconds the services using the secret get to converge healthy on the new version."))


class Monitoring(Strict):
    """SEC-07. MediaNest ships no alerting monitor (scripts/security-monitor.sh only prints a
    report and never alerts): point these at the monitor you run. Paths are under base_url
    ("" = target.base_url). The test alert carries a unique marker; an alert is "seen" when
    the alerts listing contains it."""

    service: str = Field("monitor", description=(
        "SEC-07: the monitoring service; its containers must run and be healthy. The watch counts its alerts."))
    base_url: str = Field("", description=(
        "SEC-07: URL the monitor answers on; \"\" = target.base_url. Also used by the watch's alert sampling."))
    health_path: str = Field("/monitor/health", description="SEC-07: GET path that must answer 2xx.")
    heartbeat_path: str = Field("/monitor/heartbeat", description=(
        "SEC-07: GET path whose JSON answer says when the monitor last beat."))
    heartbeat_time_field: str = Field("last_beat", description=(
        "SEC-07: dotted JSON path of the last beat's ISO 8601 timestamp; a monitor that never beat has none "
        "(stale). \"\" = read heartbeat_age_field instead."))
    heartbeat_age_field: str = Field("", description=(
        "SEC-07: dotted JSON path of the heartbeat's age in seconds; read only when heartbeat_time_field is "
        "\"\"."))
    heartbeat_max_age_s: float = Field(default=30.0, gt=0, description=(
        "SEC-07: seconds; an older heartbeat is stale."))
    alert_path: str = Field("/monitor/alerts/test", description=(
        "SEC-07: POST path that raises the test alert (JSON with a unique marker)."))
    alerts_path: str = Field("/monitor/alerts", description=(
        "SEC-07: GET path listing raised alerts; the test alert counts as seen once its marker shows up here. "
        "The watch samples it for security alerts."))
    alert_deadline_s: float = Field(default=15.0, gt=0, description=(
        "SEC-07: seconds from posting the test alert until it must show up in the alerts listing."))


class Security(Strict):
    scan: ScanPolicy = Field(default_factory=ScanPolicy, description="SEC-01: scanner reports and blocking severities.")
    secrets: SecretsPolicy = Field(default_factory=SecretsPolicy, description=(
        "SEC-02 and SEC-06: the target's Swarm secrets (prefix, count, age)."))
    auth: AuthCheck = Field(default_factory=AuthCheck, description="SEC-03: the login/logout flow.")
    hardening: Hardening = Field(default_factory=Hardening, description="SEC-04: container hardening allowances.")
    isolation: Isolation = Field(default_factory=Isolation, description=(
        "SEC-05: host-side TCP connects to the data services."))
    rotation: Rotation = Field(default_factory=Rotation, description="SEC-06: the secret rotation drill.")
    monitoring: Monitoring = Field(default_factory=Monitoring, description=(
        "SEC-07: the security monitor's health, heartbeat and test alert."))
