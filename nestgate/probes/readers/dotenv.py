"""Entries of a dotenv example file (`.env.example`) and which of them it marks required.

Hand-written on purpose: dotenv libraries (python-dotenv) drop comments, and comments are what says
whether an entry is optional. The rule, fitted to MediaNest's own .env.example:

- `# NAME=...` (a commented-out entry) is optional: it documents an integration you may switch on;
- `NAME=value` is required: the example shows what to put there;
- `NAME=` left bare is optional: nothing to fill in;
- `NAME=  # how to fill it` (empty, with a note: `JWT_SECRET=  # Generate with: openssl rand -hex 32`)
  is required, unless the note says "optional";
- a note saying "required" or "optional" decides over the rest.

An active entry outranks a commented-out one of the same name (MediaNest documents a dev DATABASE_URL
in a comment below the real one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_COMMENTED = re.compile(r"^#\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


@dataclass(frozen=True)
class ExampleEntry:
    name: str
    required: bool
    why: str  # the part of the rule that decided, for the evidence


def _split(rest: str) -> tuple[str, str]:
    """An entry's value and its inline note (`KEY=value  # note`; quotes protect a `#`)."""
    rest = rest.strip()
    if rest[:1] in ("'", '"') and rest.find(rest[0], 1) > 0:
        end = rest.find(rest[0], 1)
        after = rest[end + 1:].strip()
        return rest[1:end], after[1:].strip() if after.startswith("#") else ""
    if rest.startswith("#"):
        return "", rest[1:].strip()
    match = re.search(r"\s#", rest)
    if match is None:
        return rest, ""
    return rest[:match.start()].strip(), rest[match.end():].strip()


def _decide(value: str, note: str) -> tuple[bool, str]:
    said = note.lower()
    if "required" in said:
        return True, "its note says required"
    if "optional" in said:
        return False, "its note says optional"
    if value:
        return True, "the example gives a value"
    if note:
        return True, "left empty with a note on how to fill it"
    return False, "left empty"


def example_entries(text: str) -> list[ExampleEntry]:
    """Every entry of the example, in order, once each, with whether it is required and why."""
    active: dict[str, ExampleEntry] = {}
    commented: dict[str, ExampleEntry] = {}
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            found = _COMMENTED.match(stripped)
            if found:
                commented.setdefault(found[1], ExampleEntry(found[1], False, "commented out"))
            continue
        key, sep, rest = stripped.removeprefix("export ").partition("=")
        key = key.strip()
        if sep and _NAME.match(key) and key not in active:
            active[key] = ExampleEntry(key, *_decide(*_split(rest)))
    order = list(dict.fromkeys([*active, *commented]))
    return [active.get(n) or commented[n] for n in order]


def names_in_env_file(text: str) -> list[str]:
    """Names of the active (not commented-out) entries, in order, without duplicates."""
    return [e.name for e in example_entries(text) if e.why != "commented out"]
