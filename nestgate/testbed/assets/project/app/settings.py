"""Configuration from the environment; credentials only from /run/secrets files."""

import os
from dataclasses import dataclass
from pathlib import Path


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, str(default)))


@dataclass(frozen=True)
class Settings:
    port: int = _int("APP_PORT", 4000)
    db_host: str = os.environ.get("DATABASE_HOST", "postgres")
    db_port: int = _int("DATABASE_PORT", 5432)
    # 0 means no limit: the pool opens a connection whenever none is idle.
    db_pool_max: int = _int("DB_POOL_MAX", 10)
    # Idle connections are closed after this long (fewer sessions cut off by a database restart).
    db_pool_idle_s: float = float(os.environ.get("DB_POOL_IDLE_SECONDS", "10"))
    redis_host: str = os.environ.get("REDIS_HOST", "redis")
    redis_port: int = _int("REDIS_PORT", 6379)
    secrets_dir: Path = Path(os.environ.get("SECRETS_DIR", "/run/secrets"))
    token_ttl_s: int = _int("AUTH_TOKEN_TTL_SECONDS", 86400)
    node_env: str = os.environ.get("NODE_ENV", "development")
    # Behaviour knobs (the testbed's seeded faults flip these; defaults are the correct behaviour).
    revoke_on_logout: bool = _flag("AUTH_REVOKE_ON_LOGOUT", True)
    # false: the JWT's claims are read without checking its signature (decode instead of verify).
    jwt_verify_signature: bool = _flag("AUTH_JWT_VERIFY_SIGNATURE", True)
    # false: logout skips the double-submit CSRF check.
    logout_checks_csrf: bool = _flag("AUTH_LOGOUT_CSRF", True)
    api_health_delay_ms: int = _int("API_HEALTH_DELAY_MS", 0)
    health_delay_ms: int = _int("HEALTH_DELAY_MS", 0)
    media_index_state: str = os.environ.get("MEDIA_INDEX_STATE", "ready")
    plex_sync_errors: int = _int("PLEX_SYNC_ERROR_BURST", 0)

    def secret(self, name: str) -> str:
        return (self.secrets_dir / name).read_text().strip()


SETTINGS = Settings()
