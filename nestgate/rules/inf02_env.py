"""INF-02 rules: what is wrong with a variable's value, named without the value: a required one not set,
and any variable a service receives that is empty or a placeholder.

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
    """What is wrong in one place's environment: each required variable not set to a real value, then
    (by name) every other variable it receives that is empty or a placeholder, listed in the example
    or not. A variable declared with no value (None) is not received: only a required one fails so.
    A finding names the variable and the kind of problem, never the value."""
    found: list[Finding] = []
    wanted = list(dict.fromkeys(required))
    for name in [*wanted, *sorted(n for n in env if n not in wanted)]:
        value = env.get(name)
        if value is None and name not in wanted:
            continue
        kind = problem_kind(value, patterns)
        if kind is not None:
            found.append(Finding(subject, name, kind, "set to a real value", says=f"{name} is {kind}"))
    return found


def optional_unset(env: Mapping[str, str | None], optional: Iterable[str]) -> list[str]:
    """The optional variables this place does not receive: noted in the evidence, never failed."""
    return [name for name in optional if env.get(name) is None]
