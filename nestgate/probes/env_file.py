"""INF-02's required and optional variable names: the config's lists, else what the target's
`.env.example` marks (see nestgate.probes.readers.dotenv for the rule)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.dotenv import example_entries


@dataclass(frozen=True)
class EnvPlan:
    required: list[str]
    optional: list[str]
    origin: str  # where the required list came from, for the evidence
    why: dict[str, str]  # name -> the part of the example's rule that decided it


def env_plan(explicit: list[str], optional: list[str], env_example: Path) -> EnvPlan:
    """The config's `required` when given (the example is not read); else the example's required
    entries less the config's `optional`."""
    forced = list(dict.fromkeys(optional))
    if explicit:
        required = [n for n in dict.fromkeys(explicit) if n not in forced]
        return EnvPlan(required, forced, "config infra.env.required", {})
    try:
        text = env_example.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise EvidenceUnavailable(
            f"no required variables: infra.env.required is empty and {env_example} cannot be read "
            f"({reason})") from None
    entries = example_entries(text)
    if not entries:
        raise EvidenceUnavailable(f"no required variables: {env_example} names none")
    required = [e.name for e in entries if e.required and e.name not in forced]
    optional_names = list(dict.fromkeys([*(e.name for e in entries if not e.required), *forced]))
    why = {e.name: e.why for e in entries} | {n: "config infra.env.optional" for n in forced}
    return EnvPlan(required, optional_names, f"file {env_example}", why)


def required_names(explicit: list[str], env_example: Path) -> tuple[list[str], str]:
    """The required names and where the list came from."""
    plan = env_plan(explicit, [], env_example)
    return plan.required, plan.origin
