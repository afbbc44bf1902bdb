"""SEC-06 rules over secret names and dates (never values): versioned naming `<prefix>_<name>_vN`,
ages, the next version for a rotation, whether a destructive drill is allowed, whether a planned
rotation could start cleanly, and whether the drill succeeded.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.engine_facts import ContainerFacts
    from nestgate.probes.swarm_objects import SecretFacts


@dataclass(frozen=True)
class Versioned:
    base: str  # between the prefix and _vN ("jwt_secret")
    version: int


def versioned(name: str, prefix: str) -> Versioned | None:
    m = re.fullmatch(rf"{re.escape(prefix)}_(?P<base>.+)_v(?P<n>[0-9]+)", name)
    return Versioned(m["base"], int(m["n"])) if m else None


def age_days(created: dt.datetime, now: dt.datetime) -> float:
    return (now - created).total_seconds() / 86400


def judged_at(now: dt.datetime, as_of: dt.date | None) -> dt.datetime:
    """The instant secret ages are judged at: now, or the end (24:00 UTC) of the configured day
    (security.secrets.ages_as_of), whichever is later. Never earlier than now: an earlier instant
    would make old secrets look young."""
    if as_of is None:
        return now
    return max(now, dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC))


def describe_age(days: float) -> str:
    """Days for old secrets, smaller units for young ones (a limit may be a fraction of a day)."""
    seconds = days * 86400
    if seconds < 3600:
        return f"{seconds:.0f} s"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{days:.1f} days"


@dataclass(frozen=True)
class RotationPlan:
    current: str  # <prefix>_<base>_vN
    next: str  # <prefix>_<base>_v(N+1)


def plan_rotation(names: list[str], prefix: str, base: str) -> RotationPlan:
    """The newest existing version of `base` and the name of the next one.

    Raises ValueError with the reason when there is nothing to rotate.
    """
    versions = sorted(v.version for n in names if (v := versioned(n, prefix)) and v.base == base)
    if not versions:
        raise ValueError(f"no secret {prefix}_{base}_vN exists to rotate")
    return RotationPlan(f"{prefix}_{base}_v{versions[-1]}", f"{prefix}_{base}_v{versions[-1] + 1}")


DESTRUCTIVE_ENV = "NESTGATE_ALLOW_DESTRUCTIVE"


def destructive_allowed(config_flag: bool, environ: Mapping[str, str]) -> bool:
    """The config flag, or the environment override (a staging pipeline sets it per run)."""
    return config_flag or environ.get(DESTRUCTIVE_ENV, "").strip().lower() in ("1", "true", "yes")


def no_secrets_findings(prefix: str, prefixed: Sequence[object]) -> list[Finding]:
    """No prefixed secret at all leaves nothing to judge: a failure, never an empty pass."""
    if prefixed:
        return []
    return [Finding(f"secrets named {prefix}_*", "count", 0, "at least 1",
                    says="none in the swarm: nothing to judge (is the stack deployed?)")]


def secret_findings(secrets: Sequence[SecretFacts], prefix: str, max_age_days: float,
                    now: dt.datetime, as_of: dt.date | None = None) -> list[Finding]:
    """Every prefixed secret follows `<prefix>_<name>_vN` and is no older than the max age, judged
    at `judged_at(now, as_of)`; a finding says which day it was judged as of."""
    out = [Finding(f"secret {s.name}", "naming", s.name, f"{prefix}_<name>_vN",
                   says=f"does not follow the versioned naming {prefix}_<name>_vN")
           for s in secrets if versioned(s.name, prefix) is None]
    at = judged_at(now, as_of)
    when = f" as of {as_of.isoformat()} (end of day, UTC)" if as_of is not None else ""
    for s in secrets:
        age = age_days(s.created, at)
        if age > max_age_days:
            out.append(Finding(f"secret {s.name}", "age_days", round(age, 4), f"<= {max_age_days:g}",
                               says=f"is {describe_age(age)} old{when} (created {s.created:%Y-%m-%d %H:%M:%S} "
                                    f"UTC), max {describe_age(max_age_days)}"))
    return out


def plan_findings(names: list[str], prefix: str, base: str) -> list[Finding]:
    """The configured secret has a version to rotate (security.rotation.secret)."""
    try:
        plan_rotation(names, prefix, base)
    except ValueError as exc:
        return [Finding(f"rotation of {prefix}_{base}", "versions", [], f"a secret {prefix}_{base}_vN",
                        says=f"{exc} (security.rotation.secret)")]
    return []


def users_findings(stack: str, secret: str, users: Sequence[str]) -> list[Finding]:
    """A rotation of a secret no service uses would prove nothing."""
    if users:
        return []
    return [Finding(f"stack {stack}", f"services using {secret}", [], "at least 1",
                    says=f"no service uses {secret}: rotating it would prove nothing "
                         "(pick a secret in use: security.rotation.secret)")]


def dry_run_findings(secret: str, users: Sequence[str], running: Sequence[ContainerFacts]) -> list[Finding]:
    """The planned rotation could start cleanly: every user has a running container, and none of
    them is unhealthy (no healthcheck counts as healthy)."""
    unhealthy = [c.name for u in users for c in running if c.service == u and c.health not in ("healthy", "")]
    missing = [u for u in users if not any(c.service == u for c in running)]
    if not missing and not unhealthy:
        return []
    return [Finding(f"rotation of {secret}", "users ready", {"without_running_container": missing,
                                                             "unhealthy": unhealthy},
                    "every user running and healthy",
                    says=f"could not start cleanly: services without a running container {missing}, "
                         f"unhealthy containers {unhealthy}")]


def drill_findings(old: str, new: str, failure: str) -> list[Finding]:
    """The drill ran every step: created, updated, converged healthy, old version removed."""
    if not failure:
        return []
    return [Finding(f"rotation drill {old} -> {new}", "failure", failure, "none", says=f"failed: {failure}")]
