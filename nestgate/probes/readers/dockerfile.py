"""Where an instruction sits in a Dockerfile (line and column), for pointing a finding at its Dockerfile line.

Parsing is BuildKit's own (the `dockerfile` package wraps moby/buildkit's Go parser: continuations,
comments and escape directives as `docker build` reads them); this module only finds instructions in the
result: the one a builder names ("RUN make", as `docker build` prints its step), and the FROM that
starts the stage an image is built from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dockerfile


class DockerfileUnparsable(ValueError):
    """BuildKit's parser refuses the text."""


@dataclass(frozen=True)
class Instruction:
    keyword: str  # upper case: RUN, FROM, ...
    original: str  # as written, continuation lines joined
    line: int  # 1-based, where the instruction starts
    column: int  # 1-based

    @property
    def text(self) -> str:
        return _squeeze(self.original)


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def instructions(text: str) -> list[Instruction]:
    """Every instruction of a Dockerfile in order (comments and parser directives left out)."""
    try:
        parsed = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        raise DockerfileUnparsable(" ".join(str(exc).split())) from None
    lines = text.splitlines()
    out = []
    for cmd in parsed:
        source = lines[cmd.start_line - 1] if 0 < cmd.start_line <= len(lines) else ""
        out.append(Instruction(cmd.cmd.upper(), cmd.original, cmd.start_line, len(source) - len(source.lstrip()) + 1))
    return out


def find(found: Sequence[Instruction], instruction: str) -> Instruction | None:
    """The instruction a builder names, whitespace and the keyword's case aside (the last, if written twice)."""
    wanted = _squeeze(instruction)
    if not wanted:
        return None
    keyword, _, rest = wanted.partition(" ")
    return next((i for i in reversed(found) if i.keyword == keyword.upper() and
                 i.text.partition(" ")[2] == rest), None)


def stage_start(found: Sequence[Instruction], target: str = "") -> Instruction | None:
    """The FROM of the stage an image is built from: `target`'s (FROM ... AS target), else the last FROM."""
    froms = [i for i in found if i.keyword == "FROM"]
    if target:
        return next((i for i in reversed(froms) if _stage_name(i) == target), None)
    return froms[-1] if froms else None


def _stage_name(from_: Instruction) -> str:
    parts = from_.text.split()
    return parts[-1] if len(parts) >= 4 and parts[-2].lower() == "as" else ""
