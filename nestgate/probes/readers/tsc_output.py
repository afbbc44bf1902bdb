"""The TypeScript compiler's diagnostics, read from its output (plain or --pretty)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nestgate.probes.readers.ansi import strip_ansi

_CODE = re.compile(r"\berror (TS\d+)\s*:\s*(.*)$")
# `src/a.ts(3,7): error TS2322: ...` (plain) and `src/a.ts:3:7 - error TS2322: ...` (--pretty)
_PLAIN = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<col>\d+)\):\s*error TS")
_PRETTY = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+)\s+-\s+error TS")
# npm's banner before a script's output: `> @medianest/backend@1.0.0 type-check`. tsc prints paths
# relative to the package it compiled, so the banner says which package an error belongs to.
_NPM_BANNER = re.compile(r"^> (?P<package>(?:@[^@\s/]+/)?[^@\s/]+)@\S+ \S+$")


@dataclass(frozen=True)
class TscError:
    code: str  # "TS2322"
    message: str
    file: str = ""  # as tsc prints it, relative to the project it compiled; "" for global errors
    line: int = 0
    column: int = 0
    package: str = ""  # the npm package whose script printed it, when npm said so

    def __str__(self) -> str:
        where = f"{self.file}({self.line},{self.column}): " if self.file else ""
        return f"{self.package + ': ' if self.package else ''}{where}error {self.code}: {self.message}"


def parse_errors(output: str) -> list[TscError]:
    """Every `error TSnnnn` diagnostic, in order; warnings and summaries are not errors."""
    errors = []
    package = ""
    for raw in output.splitlines():
        line = strip_ansi(raw).strip()
        if banner := _NPM_BANNER.match(line):
            package = banner.group("package")
            continue
        code = _CODE.search(line)
        if code is None:
            continue
        loc = _PLAIN.match(line) or _PRETTY.match(line)
        if loc:
            errors.append(TscError(code.group(1), code.group(2).strip(), loc.group("file"),
                                   int(loc.group("line")), int(loc.group("col")), package))
        else:
            errors.append(TscError(code.group(1), code.group(2).strip(), package=package))
    return errors
