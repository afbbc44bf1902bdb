"""npm commands read as text: which script a command runs, npm's missing-script error, and the
pass/fail summary test runners print (node:test TAP and spec, Jest, Vitest)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from nestgate.probes.readers.ansi import strip_ansi

# `npm test` and friends run the script of the same name.
_SCRIPT_ALIASES = {"test": "test", "t": "test", "tst": "test", "start": "start", "stop": "stop",
                   "restart": "restart"}
_RUN = {"run", "run-script", "rum", "urn"}
_VALUE_OPTIONS = {"--prefix", "-C", "--workspace", "-w", "--loglevel", "--userconfig", "--cache"}
_MISSING = re.compile(r"Missing script:\s*\"?([^\"\n]+?)\"?\s*$", re.MULTILINE | re.IGNORECASE)


@dataclass(frozen=True)
class NpmScript:
    script: str
    prefix: str  # the package directory npm runs it in, relative to the working directory


def npm_script(argv: list[str]) -> NpmScript | None:
    """The package script an npm command runs (`npm run X`, `npm --prefix d run X`, `npm test`);
    None for anything else (npx, node, `npm exec`, a workspace run, ...)."""
    if not argv or PurePath(argv[0]).name not in ("npm", "npm.cmd"):
        return None
    prefix, words, i = ".", [], 1
    while i < len(argv):
        arg = argv[i]
        if arg in _VALUE_OPTIONS:
            if arg in ("--workspace", "-w"):
                return None  # resolved by npm across workspaces: not one package.json to read
            if arg in ("--prefix", "-C") and i + 1 < len(argv):
                prefix = argv[i + 1]
            i += 2
            continue
        if arg.startswith("--prefix="):
            prefix = arg.split("=", 1)[1]
        elif arg.startswith(("--workspace=", "-w=")):
            return None
        elif arg == "--":
            break
        elif not arg.startswith("-"):
            words.append(arg)
        i += 1
    if not words:
        return None
    if words[0] in _RUN:
        return NpmScript(words[1], prefix) if len(words) > 1 else None
    if words[0] in _SCRIPT_ALIASES:
        return NpmScript(_SCRIPT_ALIASES[words[0]], prefix)
    return None


def missing_script(output: str) -> str | None:
    """The script named by npm's `Missing script: "X"` error (also from a nested npm call)."""
    found = _MISSING.search(strip_ansi(output).replace("npm error ", "").replace("npm ERR! ", ""))
    return found.group(1) if found else None


@dataclass(frozen=True)
class RunnerSummary:
    tests: int | None = None
    passed: int | None = None
    failed: int | None = None
    failing: list[str] = field(default_factory=list)  # names of failed tests, where printed

    @property
    def known(self) -> bool:
        return self.tests is not None or self.passed is not None or self.failed is not None


_NODE_COUNTS = re.compile(r"^(?:#|ℹ)\s*(tests|pass|fail)\s+(\d+)\s*$")  # node:test TAP / spec
_JEST = re.compile(r"^Tests:\s+(.*?)(\d+) total")
_VITEST = re.compile(r"^Tests\s+(.*)\((\d+)\)\s*$")
_NOT_OK = re.compile(r"^\s*not ok \d+ - (.+?)\s*(?:#.*)?$")
_COUNT_WORD = re.compile(r"(\d+) (passed|failed)")


def runner_summary(output: str) -> RunnerSummary:
    """Counts from the last summary the runner printed; unknown fields stay None."""
    counts: dict[str, int] = {}
    failing: list[str] = []
    for raw in output.splitlines():
        line = strip_ansi(raw).strip()
        if m := _NODE_COUNTS.match(line):
            counts[{"pass": "passed", "fail": "failed"}.get(m.group(1), m.group(1))] = int(m.group(2))
        elif m := (_JEST.match(line) or _VITEST.match(line)):
            counts = {"tests": int(m.group(2)), "passed": 0, "failed": 0}
            counts.update({word: int(n) for n, word in _COUNT_WORD.findall(m.group(1))})
        elif (m := _NOT_OK.match(raw)) and m.group(1) not in failing:
            failing.append(m.group(1))  # TAP: a failed test, or the file or suite holding one
    return RunnerSummary(counts.get("tests"), counts.get("passed"), counts.get("failed"), failing)
