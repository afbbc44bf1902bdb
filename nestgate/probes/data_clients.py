"""PostgreSQL and Redis reached from inside their own containers (see container_exec for why).

The clients connect over TCP to the container's own address on its overlay network, not to the
local socket: the server then applies its network rules and password authentication, the same
as for the app (a local socket may use peer or trust authentication and prove nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.container_exec import ExecResult, run_in
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts


def container_address(inspect: dict[str, Any]) -> tuple[str, str]:
    """(network, IPv4) of a container on its first network other than the ingress mesh;
    ("loopback", "127.0.0.1") when it has none (host network or no network)."""
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    for name in sorted(networks):
        address = (networks[name] or {}).get("IPAddress") or ""
        if address and name != "ingress":
            return name, address
    return "loopback", "127.0.0.1"


def service_container(engine: Engine, service: str) -> ContainerFacts:
    """The first running container of a stack service; none running is evidence unavailable."""
    found = [c for c in engine.running() if c.service == service]
    if not found:
        raise EvidenceUnavailable(f"no running container of service {service!r} in stack {engine.stack!r}")
    return found[0]


@dataclass(frozen=True)
class PgSession:
    """Where and as whom to connect, from inside the server's container."""

    engine: Engine
    container: ContainerFacts
    network: str
    host: str
    port: int
    user: str
    password: str  # registered with the redactor by whoever read it
    timeout_s: float

    @classmethod
    def open(cls, engine: Engine, service: str, port: int, user: str, password: str,
             timeout_s: float) -> PgSession:
        container = service_container(engine, service)
        network, host = container_address(container.inspect)
        return cls(engine, container, network, host, port, user, password, timeout_s)

    def describe(self, db: str) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{db} (network {self.network}, " \
               f"from inside container {self.container.name})"

    def _env(self, read_only: bool, timeout_s: float) -> dict[str, str]:
        # The server stops a statement that outlives the exec's deadline (pg_dump and pg_restore
        # set their own statement_timeout of 0).
        options = f"-c statement_timeout={int(timeout_s * 1000)} -c extra_float_digits=3"
        if read_only:
            options += " -c default_transaction_read_only=on"
        return {"PGPASSWORD": self.password, "PGCONNECT_TIMEOUT": str(max(2, int(self.timeout_s))),
                "PGTZ": "UTC", "PGDATESTYLE": "ISO", "PGAPPNAME": "nestgate", "PGOPTIONS": options}

    def _conn(self, db: str) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.user, "-d", db]

    def psql(self, db: str, sql: str, read_only: bool = True, timeout_s: float | None = None) -> ExecResult:
        """One statement through psql: unaligned, tuples only, no psqlrc, never a password prompt."""
        argv = ["psql", "-X", "-w", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", *self._conn(db), "-c", sql]
        timeout = timeout_s or self.timeout_s
        return run_in(self.engine, self.container, argv, timeout, env=self._env(read_only, timeout))

    def dump(self, db: str, to: Path, timeout_s: float) -> ExecResult:
        """pg_dump (custom format) of a database, streamed into a file on nestgate's host."""
        argv = ["pg_dump", "-w", "-Fc", *self._conn(db)]
        return run_in(self.engine, self.container, argv, timeout_s, env=self._env(True, timeout_s),
                      stdout_path=to)

    def restore(self, db: str, dump: Path, timeout_s: float) -> ExecResult:
        """pg_restore of a custom-format dump from nestgate's host, as one transaction."""
        argv = ["pg_restore", "-w", "-Fc", "--no-owner", "--no-privileges", "--exit-on-error",
                "--single-transaction", *self._conn(db)]
        # Not read-only: this writes the scratch database (and only that one).
        return run_in(self.engine, self.container, argv, timeout_s, env=self._env(False, timeout_s),
                      stdin_path=dump)


@dataclass(frozen=True)
class RedisPing:
    container: str
    network: str
    host: str
    port: int
    reply: str
    exit_code: int
    reason: str


def redis_ping(engine: Engine, service: str, port: int, password: str, timeout_s: float) -> RedisPing:
    """redis-cli PING with the password (REDISCLI_AUTH keeps it off the command line)."""
    container = service_container(engine, service)
    network, host = container_address(container.inspect)
    argv = ["redis-cli", "--no-auth-warning", "-h", host, "-p", str(port), "PING"]
    result = run_in(engine, container, argv, timeout_s, env={"REDISCLI_AUTH": password})
    return RedisPing(container.name, network, host, port, result.text().strip(), result.exit_code,
                     result.reason())
