"""INF-02 rules: what is wrong with a required variable's value, named without the value.

Pure functions over names and strings; the control feeds them the environment a service gets
(compose `environment`, with env files merged by Compose; the swarm service spec; container env).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from nestgate.probes.readers.inspect import env_list_to_dict
from nestgate.rules.findings import Finding


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


def problem_kind(value: str | None, patterns: Mapping[str, str]) -> str | None:
    """What is wrong with one value: "not set", "empty", "a placeholder (<kind>)"; None when it is real."""
    if value is None:
        return "not set"
    if not value.strip():
        return "empty"
    kind = placeholder_kind(value, patterns)
    return None if kind is None else f"a placeholder ({kind})"


def env_findings(subject: str, env: Mapping[str, str | None], required: Iterable[str],
                 patterns: Mapping[str, str]) -> list[Finding]:
    """Each required variable that is not set to a real value in one place's environment. A finding
    names the variable and the kind of problem, never the value."""
    found: list[Finding] = []
    for name in required:
        kind = problem_kind(env.get(name), patterns)
        if kind is not None:
            found.append(Finding(subject, name, kind, "set to a real value", says=f"{name} is {kind}"))
    return found
