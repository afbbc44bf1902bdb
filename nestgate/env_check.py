"""INF-02 logic: which variables are required, and what is wrong with a value (never the value).

Pure functions over names and strings; the control feeds them the environment a service gets
(compose `environment`, with env files merged by Compose; the swarm service spec; container env).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from nestgate.errors import EvidenceUnavailable

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def names_in_env_file(text: str) -> list[str]:
    """Variable names of a dotenv file (`KEY=value`, `export KEY=value`), in order, without duplicates.

    Commented-out lines are not required variables: they document optional ones.
    """
    names: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        stripped = stripped.removeprefix("export ").strip()
        key, sep, _ = stripped.partition("=")
        key = key.strip()
        if sep and _NAME.match(key) and key not in names:
            names.append(key)
    return names


def required_names(explicit: list[str], env_example: Path) -> tuple[list[str], str]:
    """The required names and where the list came from (for evidence)."""
    if explicit:
        return list(dict.fromkeys(explicit)), "config infra.env.required"
    try:
        text = env_example.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvidenceUnavailable(
            f"no required variables: infra.env.required is empty and {env_example} cannot be read "
            f"({exc.strerror or exc})") from None
    names = names_in_env_file(text)
    if not names:
        raise EvidenceUnavailable(f"no required variables: {env_example} names none")
    return names, f"file {env_example}"


def env_list_to_dict(entries: Iterable[str]) -> dict[str, str]:
    """Docker's `["KEY=value", ...]` form; a bare `KEY` (no `=`) is set to nothing."""
    out: dict[str, str] = {}
    for entry in entries:
        key, _, value = entry.partition("=")
        out[key] = value
    return out


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
