"""INF-02 logic: which variables are required, and what is wrong with a value (never the value).

Pure functions over names and strings; the control feeds them the environment a service gets
(compose `environment`, with env files merged by Compose; the swarm service spec; container env).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from nestgate.probes.readers.inspect import env_list_to_dict


def compose_environment(raw: object) -> dict[str, str | None]:
    """A service's `environment` as Compose prints it (a mapping; None = not set anywhere)."""
    if isinstance(raw, Mapping):
        return {str(k): None if v is None else str(v) for k, v in raw.items()}
    if isinstance(raw, list):
        return dict(env_list_to_dict(str(e) for e in raw))
    return {}


def placeholder_kind(value: str, patterns: Mapping[str, str]) -> str | None:
    """The first placeholder kind whose pattern occurs in value, else None."""
    for kind, pattern in patterns.items():
        if re.search(pattern, value):
            return kind
    return None


@dataclass(frozen=True)
class EnvProblem:
    variable: str
    kind: str  # "not set", "empty", or "placeholder (<kind>)"

    def describe(self) -> str:
        return f"{self.variable} is {self.kind}"


def problems(env: Mapping[str, str | None], required: Iterable[str],
             patterns: Mapping[str, str]) -> list[EnvProblem]:
    """What is wrong with each required variable; empty when every one is set to a real value."""
    found: list[EnvProblem] = []
    for name in required:
        value = env.get(name)
        if name not in env or value is None:
            found.append(EnvProblem(name, "not set"))
        elif not value.strip():
            found.append(EnvProblem(name, "empty"))
        else:
            kind = placeholder_kind(value, patterns)
            if kind is not None:
                found.append(EnvProblem(name, f"a placeholder ({kind})"))
    return found
