"""PostgreSQL probe: run read-only queries over a real connection, with connect and statement timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from nestgate.errors import EvidenceUnavailable, one_line


@dataclass(frozen=True)
class PgEndpoint:
    host: str
    port: int
    dbname: str
    user: str
    password: str  # registered with the redactor by whoever read it

    def describe(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}"


def query(endpoint: PgEndpoint, sql: str, timeout_s: float, params: tuple[Any, ...] = ()) -> list[tuple]:
    try:
        with psycopg.connect(
            host=endpoint.host,
            port=endpoint.port,
            dbname=endpoint.dbname,
            user=endpoint.user,
            password=endpoint.password,
            connect_timeout=max(1, int(timeout_s)),
            options=f"-c statement_timeout={int(timeout_s * 1000)} -c default_transaction_read_only=on",
        ) as conn:
            return list(conn.execute(sql, params).fetchall())
    except psycopg.Error as exc:
        reason = one_line(exc)
        raise EvidenceUnavailable(f"PostgreSQL at {endpoint.describe()}: {reason}") from None
