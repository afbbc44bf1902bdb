"""SEC-02 / SEC-06 logic over secret names and dates (never values): which external secrets the
compose file expects, which swarm secrets carry the prefix, versioned naming `<prefix>_<name>_vN`,
ages, and the next version for a rotation.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any

from nestgate.config import LoadedConfig


def expected_external(declared_secrets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Compose key -> the name the secret must have in the swarm (`name:` honoured)."""
    return {key: str(spec.get("name") or key) for key, spec in declared_secrets.items()
            if isinstance(spec, dict) and spec.get("external")}


def referenced(declared_services: dict[str, Any], declared_secrets: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Engine secret name -> the service(s) whose compose entry references it."""
    out: dict[str, list[str]] = {}
    for svc, spec in declared_services.items():
        for ref in spec.get("secrets") or []:
            key = ref.get("source") if isinstance(ref, dict) else str(ref)
            name = str((declared_secrets.get(key) or {}).get("name") or key)
            out.setdefault(name, []).append(svc)
    return {name: ", ".join(sorted(svcs)) for name, svcs in out.items()}


def with_prefix(names: list[str], prefix: str) -> list[str]:
    """`docker secret ls | grep medianest`, done properly: the name starts with `<prefix>_`."""
    return sorted(n for n in names if n.startswith(f"{prefix}_"))


@dataclass(frozen=True)
class Versioned:
    base: str  # between the prefix and _vN ("jwt_secret")
    version: int


def versioned(name: str, prefix: str) -> Versioned | None:
    m = re.fullmatch(rf"{re.escape(prefix)}_(?P<base>.+)_v(?P<n>[0-9]+)", name)
    return Versioned(m["base"], int(m["n"])) if m else None


def age_days(created: dt.datetime, now: dt.datetime) -> float:
    return (now - created).total_seconds() / 86400


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


def destructive_allowed(config_flag: bool, environ: dict[str, str] | None = None) -> bool:
    """The config flag, or the environment override (a staging pipeline sets it per run)."""
    env = os.environ if environ is None else environ
    return config_flag or env.get(DESTRUCTIVE_ENV, "").strip().lower() in ("1", "true", "yes")


def drill_modes(cfg: LoadedConfig) -> list[str]:
    """Parameter source for the SEC-06 drill: its test ID says which kind ran."""
    allowed = destructive_allowed(cfg.model.security.rotation.allow_destructive)
    return ["destructive" if allowed else "dry-run"]
