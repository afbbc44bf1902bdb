"""The TypeScript compiler's diagnostics, read from its output (plain or --pretty)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nestgate.ansi import strip_ansi

_CODE = re.compile(r"\berror (TS\d+)\s*:\s*(.*)$")
# `src/a.ts(3,7): error TS2322: ...` (plain) and `src/a.ts:3:7 - error TS2322: ...` (--pretty)
_PLAIN = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\):\s*error TS")
_PRETTY = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)\s+-\s+error TS")


@dataclass(frozen=True)
class TscError:
    code: str  # "TS2322"
    message: str
    file: str = ""  # as tsc prints it, relative to the project it compiled; "" for global errors
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        where = f"{self.file}({self.line},{self.column}): " if self.file else ""
        return f"{where}error {self.code}: {self.message}"


def parse_errors(output: str) -> list[TscError]:
    """Every `error TSnnnn` diagnostic, in order; warnings and summaries are not errors."""
    errors = []
    for raw in output.splitlines():
        line = strip_ansi(raw).strip()
        code = _CODE.search(line)
        if code is None:
            continue
        loc = _PLAIN.match(line) or _PRETTY.match(line)
        if loc:
            errors.append(TscError(code.group(1), code.group(2).strip(), loc.group("file"),
                                   int(loc.group("line")), int(loc.group("col"))))
        else:
            errors.append(TscError(code.group(1), code.group(2).strip()))
    return errors
