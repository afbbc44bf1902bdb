"""SEC-06 rules over secret names and dates (never values): versioned naming `<prefix>_<name>_vN`,
ages, the next version for a rotation, and whether a destructive drill is allowed.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass


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


def destructive_allowed(config_flag: bool, environ: Mapping[str, str]) -> bool:
    """The config flag, or the environment override (a staging pipeline sets it per run)."""
    return config_flag or environ.get(DESTRUCTIVE_ENV, "").strip().lower() in ("1", "true", "yes")
