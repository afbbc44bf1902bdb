"""Variable names of a dotenv file (`.env.example`)."""

from __future__ import annotations

import re

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
