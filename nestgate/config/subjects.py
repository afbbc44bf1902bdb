"""[target] keys that say which services are judged: the Compose profiles the model includes, and
the services left out of judgement (each with its reason, shown in every report)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from nestgate.config.base import Strict

ALL_PROFILES = "all"
ProfilesSetting = Literal["all"] | list[str]


class Exclusion(Strict):
    """A service of the compose model that no per-service control judges, and why."""

    service: str = Field(min_length=1, description="The compose service left out of judgement.")
    reason: str = Field(min_length=1, description=(
        "Why it is not judged (e.g. \"one-off migration job, never deployed\"): printed in every report."))

    @field_validator("service", "reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


def check_profiles(value: ProfilesSetting) -> ProfilesSetting:
    if isinstance(value, list) and any(not p.strip() or p.strip() == "*" for p in value):
        raise ValueError('profile names must be non-blank; for every profile write compose_profiles = "all"')
    return value


def exclusion_problems(services: list[str], exclude: list[Exclusion]) -> list[str]:
    """What is contradictory between target.services (must exist, so judged) and target.exclude."""
    names = [e.service for e in exclude]
    problems = [f"service {n!r} is excluded twice" for n in sorted({n for n in names if names.count(n) > 1})]
    problems += [f"service {n!r} is in target.services (must exist and be judged) and excluded" for n in names
                 if n in services]
    return problems


def profile_args(setting: ProfilesSetting) -> list[str]:
    """The Compose CLI's --profile options: every profile ("*") or the listed ones. Given on the command
    line they win over $COMPOSE_PROFILES; an empty list selects only the services with no profile."""
    names = ["*"] if setting == ALL_PROFILES else list(setting)
    return [arg for name in names for arg in ("--profile", name)]
