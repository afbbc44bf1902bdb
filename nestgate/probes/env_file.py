"""INF-02's required variable names: the config's list, else the names in the target's `.env.example`."""

from __future__ import annotations

from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.dotenv import names_in_env_file


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
