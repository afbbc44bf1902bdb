"""PRF-03 rules: where a service's database pool limit is set, and whether its connections stayed within it.

The limit comes from the first configured variable set in the service's environment, else from
the `connection_limit` query parameter of its database URL (Prisma's pool setting). The URL holds
the database password: it is parsed here and never returned, recorded or printed.

Under a burst, the service's connections may reach the limit times its running replicas, and not
more; every request of the burst is answered 2xx. The limit must be set on every container, the
same on all, and equal to the declared one, or the peak cannot be judged against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.traffic import Burst


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


def declared_pool_limit(environment: Mapping[str, Any] | None, limit_vars: Iterable[str], url_var: str) -> PoolLimit:
    """The pool limit of a compose service's resolved `environment` (a value may be null or a number)."""
    env = {k: None if v is None else str(v) for k, v in (environment or {}).items()}
    return pool_limit(env, limit_vars, url_var)


def setting_findings(service: str, setting: PoolLimit) -> list[Finding]:
    """A service whose pool limit is not set to 1 or more."""
    if setting.limit:
        return []
    return [Finding(f"service {service}", "pool limit", setting.source or None, "set, 1 or more",
                    says=setting.problem)]


def common_limit(settings: Mapping[str, PoolLimit]) -> int | None:
    """The pool limit every container runs with; None when one has none or they differ."""
    limits = {s.limit for s in settings.values()}
    return next(iter(limits)) if len(limits) == 1 else None


def burst_findings(service: str, settings: Mapping[str, PoolLimit], declared: PoolLimit, peak: int, run: Burst,
                   path: str, concurrency: int) -> list[Finding]:
    """The pool held under the burst: a limit in force on every container (container name -> its
    setting), the same on all and as declared; the peak of the service's connections at most that
    limit times the replicas; no failed request. An unusable limit is reported alone, with the peak."""
    subject = f"service {service}"
    in_force = {name: s.source or None for name, s in settings.items()}
    held = (f"a burst of {len(run.attempts)} requests ({concurrency} at once) to {path} held up to {peak} "
            f"connections from {service} in pg_stat_activity")
    unset = [f"{s.problem} (container {name})" for name, s in settings.items() if not s.limit]
    if unset:
        return [Finding(subject, "pool limit in force", in_force, "set, 1 or more, on every container",
                        says=f"{'; '.join(unset)}; {held}")]
    limit = common_limit(settings)
    if limit is None:
        return [Finding(subject, "pool limit in force", in_force, "the same on every container",
                        says=f"its containers run with different pool limits "
                             f"({', '.join(f'{n}: {s.source}' for n, s in settings.items())}); {held}")]
    first = next(iter(settings.values()))
    if declared.limit != limit:
        return [Finding(subject, "pool limit declared", declared.source or None, first.source,
                        says=f"pool limit declared {declared.source or declared.problem}, in force {first.source}")]
    out = []
    allowed = limit * len(settings)
    if peak > allowed:
        out.append(Finding(subject, "connections peak", peak, f"at most {allowed}",
                           says=f"{held}, over the pool limit {limit} x {len(settings)} replica(s) = {allowed} "
                                f"({first.source})"))
    failures = run.failures()
    if failures:
        out.append(Finding(subject, "failed burst requests", len(failures), 0,
                           says=f"{len(failures)} of {len(run.attempts)} burst requests to {path} failed "
                                f"({run.outcomes()}; first: {failures[0].why()})"))
    return out
