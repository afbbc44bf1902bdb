"""The stack's compose model (plain dicts), patched by faults and rendered from the template."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE = Path(__file__).parent / "assets" / "project" / "docker-compose.hardened.yml.j2"
COMPOSE_NAME = "docker-compose.hardened.yml"
SECRET_BASES = (
    "nextauth_secret", "plex_client_id", "plex_client_secret", "encryption_key", "jwt_secret",
    "postgres_db", "postgres_user", "postgres_password", "redis_password",
)
APP_PORT = 4000
MONITOR_PORT = 9090
NGINX_PORT = 8080


def wget(url: str) -> list[str]:
    # busybox wget: no -T (Debian's busybox crashes on it); the healthcheck timeout bounds it.
    return ["CMD", "busybox", "wget", "-q", "-O", "/dev/null", url]


def healthcheck(test: list[str], start_period: str = "20s", interval: str = "3s") -> dict[str, Any]:
    return {"test": test, "interval": interval, "timeout": "3s", "retries": 3, "start_period": start_period}


def service(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "comment": [], "build": None, "command": None, "read_only": True, "cap_add": [],
        "environment": {}, "secrets": [], "tmpfs": ["/tmp"], "tmpfs_size": 16 * 2**20, "volumes": [],
        "ports": [], "replicas": 1, "stop_signal": None,
    }
    base.update(fields)
    return base


@dataclass
class Model:
    """Everything the compose template needs; faults patch it before it is rendered."""

    instance: str
    port: int
    secret_names: dict[str, str]  # base name (also the /run/secrets target) -> swarm secret name
    services: dict[str, dict[str, Any]]
    data_network: str = "data"
    data_internal: bool = True
    external_networks: dict[str, str] = field(default_factory=dict)  # key -> existing network name
    open_network: str = ""  # an extra non-internal overlay (the network-not-internal fault)
    declared_only_secrets: list[str] = field(default_factory=list)  # declared, used by no service

    def svc(self, name: str) -> dict[str, Any]:
        return self.services[name]

    def copy(self) -> Model:
        return copy.deepcopy(self)


def secret_name(instance: str, base: str, version: int = 2) -> str:
    return f"{instance}_{base}_v{version}"


def base_model(instance: str, port: int, images: dict[str, str], scale: int = 0) -> Model:
    """The correct, hardened stack."""
    names = {b: secret_name(instance, b) for b in SECRET_BASES}
    data, edge = "data", "edge"
    services = {
        "postgres": service(
            comment=["PostgreSQL 15; role, database and password from secrets at first start."],
            image=images["postgres"], user="postgres",
            tmpfs=["/tmp", "/run/postgresql"],
            volumes=[{"type": "volume", "source": "pgdata", "target": "/var/lib/postgresql/data"}],
            secrets=[(names[b], b) for b in ("postgres_db", "postgres_user", "postgres_password")],
            networks=[data], healthcheck=healthcheck(["CMD", "/usr/local/bin/healthcheck.sh"]),
            memory="256M", cpus="0.50",
            # Fast shutdown: SIGTERM (smart) would wait for the app's pooled sessions until killed.
            stop_signal="SIGINT",
        ),
        "redis": service(
            comment=["Redis 7: sessions cache; the password comes from its secret."],
            image=images["redis"], user="redis",
            secrets=[(names["redis_password"], "redis_password")],
            networks=[data], healthcheck=healthcheck(["CMD", "/usr/local/bin/healthcheck.sh"]),
            memory="96M", cpus="0.25",
        ),
        "app": service(
            comment=["The MediaNest API (Python): auth, media, health; built from ./Dockerfile."],
            image=images["app"], build={"context": ".", "dockerfile": "Dockerfile"}, user="10001:10001",
            environment={
                "NODE_ENV": "production", "APP_PORT": APP_PORT, "LOG_LEVEL": "info",
                "DATABASE_HOST": "postgres", "DATABASE_PORT": 5432, "DB_POOL_MAX": 10,
                "REDIS_HOST": "redis", "REDIS_PORT": 6379, "SECRETS_DIR": "/run/secrets",
                "FRONTEND_URL": f"http://localhost:{port}",
                "PLEX_SERVER_URL": "http://plex.medianest.local:32400",
            },
            secrets=[(names[b], b) for b in SECRET_BASES],
            # Liveness only: a database restart must not get the app killed (/health and
            # /health/ready report the database for the controls).
            networks=[edge, data], healthcheck=healthcheck(wget(f"http://127.0.0.1:{APP_PORT}/health/live")),
            memory="256M", cpus="0.75",
        ),
        "nginx": service(
            comment=["The edge: the only published port (host mode; nginx listens on 8080 inside)."],
            image=images["nginx"], user="www-data", networks=[edge], ports=[(NGINX_PORT, port)],
            healthcheck=healthcheck(wget(f"http://127.0.0.1:{NGINX_PORT}/nginx-health")),
            memory="64M", cpus="0.25",
        ),
        "monitor": service(
            comment=["Security monitor: heartbeat, auth-failure watch, alerts; built from ./monitor."],
            image=images["monitor"], build={"context": "./monitor", "dockerfile": "Dockerfile"},
            user="10002:10002",
            environment={"MONITOR_PORT": MONITOR_PORT, "MONITOR_APP_URL": f"http://app:{APP_PORT}",
                         "MONITOR_POLL_SECONDS": 5, "MONITOR_AUTH_FAILURE_THRESHOLD": 5},
            networks=[edge], healthcheck=healthcheck(wget(f"http://127.0.0.1:{MONITOR_PORT}/health")),
            memory="128M", cpus="0.25",
        ),
    }
    if scale > 0:
        services["filler"] = service(
            comment=["Benchmark filler (`up --scale N`): N idle hardened containers."],
            image=images["base"], command=["busybox", "sleep", "2147483647"], user="65534:65534",
            # A 30 s check: at 200 replicas a 3 s one is ~70 execs a second, which starves the
            # real services on a small host and measures the engine, not nestgate.
            networks=[edge], healthcheck=healthcheck(["CMD", "busybox", "true"], interval="30s"),
            memory="16M", cpus="0.05", replicas=scale, tmpfs=[],
        )
    return Model(instance=instance, port=port, secret_names=names, services=services)


def service_hash(model: Model, name: str) -> str:
    """Changes exactly when the service's rendered block would change."""
    return hashlib.sha256(json.dumps(model.services[name], sort_keys=True, default=str).encode()).hexdigest()[:16]


def render(model: Model, only: list[str] | None = None) -> str:
    """The compose file; with `only`, just those services (a partial file for `stack deploy`
    without --prune, which then leaves every other service, and its PreviousSpec, alone)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    template = env.from_string(TEMPLATE.read_text())
    services = model.services if only is None else {k: v for k, v in model.services.items() if k in only}
    # Declared secrets: every source some service uses, plus the model's declared-only extras.
    used = sorted({src for s in model.services.values() for src, _ in s["secrets"]})
    declared = sorted(set(used) | set(model.secret_names.values()) | set(model.declared_only_secrets))
    return template.render(
        instance=model.instance, services=services, secret_names=declared,
        data_network=model.data_network, data_internal=model.data_internal,
        external_networks=model.external_networks, open_network=model.open_network,
    )
