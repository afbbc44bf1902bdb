"""PRF-03 rules: where a service's database pool limit is set, and whether its connections stayed within it.

The limit comes from the first configured variable set in the service's environment, else from
the `connection_limit` query parameter of its database URL (Prisma's pool setting). The URL holds
the database password: it is parsed here and never returned, recorded or printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class PoolLimit:
    limit: int | None  # None: no usable limit
    source: str  # where it was read, safe to print ("DB_POOL_MAX=10", "DATABASE_URL connection_limit=5")
    problem: str  # why there is no usable limit ("" when there is one)


def _as_limit(text: str, where: str) -> PoolLimit:
    try:
        value = int(text.strip())
    except ValueError:
        return PoolLimit(None, where, f"{where} is {text.strip()!r}, not a whole number")
    if value <= 0:
        return PoolLimit(None, f"{where}={value}", f"{where}={value} sets no limit (must be 1 or more)")
    return PoolLimit(value, f"{where}={value}", "")


def pool_limit(env: Mapping[str, str | None], limit_vars: Iterable[str], url_var: str) -> PoolLimit:
    names = list(limit_vars)
    for name in names:
        value = env.get(name)
        if value not in (None, ""):
            return _as_limit(str(value), name)
    why = [f"{' or '.join(names)} unset"] if names else []
    url = env.get(url_var) if url_var else None
    if url_var and url not in (None, ""):
        query = parse_qs(urlsplit(str(url)).query)
        if "connection_limit" in query:
            return _as_limit(query["connection_limit"][-1], f"{url_var} connection_limit")
        why.append(f"{url_var} has no connection_limit")
    elif url_var:
        why.append(f"{url_var} unset")
    return PoolLimit(None, "", "no pool limit: " + (" and ".join(why) or "no pool variable or URL configured"))
