"""Waivers: an explicit, owned, expiring exception for a control or finding ID.

File format (TOML), one table per waiver:

    [[waiver]]
    id = "SEC-01"                # a control ID, or a finding ID such as CVE-2024-1234
    justification = "why this is acceptable for now"
    owner = "security@example.org"
    expires = 2026-12-31         # a TOML date; the waiver is void from that day on

An expired waiver waives nothing. A malformed file is an error naming the file and the line.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import Field, ValidationError

from nestgate.catalog import CONTROLS
from nestgate.config.base import Strict
from nestgate.errors import NestgateError
from nestgate.gate.options import WAIVERS_ENV


class WaiverError(NestgateError):
    """The waiver file is missing or malformed: nothing in it waives anything."""


class _Entry(Strict):
    id: str = Field(min_length=1)
    justification: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: dt.date


class _File(Strict):
    waiver: list[_Entry] = Field(default_factory=list)


@dataclass(frozen=True)
class Waiver:
    id: str
    justification: str
    owner: str
    expires: dt.date
    line: int

    def active_on(self, day: dt.date) -> bool:
        return day < self.expires


def _entry_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), start=1) if re.match(r"\s*\[\[\s*waiver\s*\]\]", line)]


def load_waivers(path: Path) -> list[Waiver]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WaiverError(f"{path}: cannot read waiver file: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(f"{path}: not valid TOML: {exc}") from None
    lines = _entry_lines(text)
    try:
        parsed = _File.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "waiver" and isinstance(loc[1], int):
            index = loc[1]
            line = lines[index] if index < len(lines) else "?"
            where = f"line {line}: waiver {index + 1}: "
            loc = loc[2:]
        key = ".".join(map(str, loc)) or "(entry)"
        problem = "unknown key" if err["type"] == "extra_forbidden" else (
            "required key is missing" if err["type"] == "missing" else err["msg"])
        raise WaiverError(f"{path}: {where}{key}: {problem}") from None
    return [Waiver(e.id, e.justification, e.owner, e.expires, lines[i] if i < len(lines) else 0)
            for i, e in enumerate(parsed.waiver)]


def active_waiver(waivers: list[Waiver], waived_id: str, today: dt.date | None = None) -> Waiver | None:
    """The unexpired waiver for this ID, if any."""
    day = today or dt.date.today()
    return next((w for w in waivers if w.id == waived_id and w.active_on(day)), None)


def load_run_waivers(config: pytest.Config, notes: list[str]) -> list[Waiver]:
    """The run's waiver file (--waivers, else $NESTGATE_WAIVERS): a malformed file stops the run;
    entries that waive nothing (expired, no such control) are noted for the verdict."""
    path = config.getoption("waivers") or os.environ.get(WAIVERS_ENV)
    if not path:
        return []
    try:
        waivers = load_waivers(Path(path))
    except NestgateError as exc:
        raise pytest.UsageError(f"waiver file rejected, nothing is waived: {exc}") from None
    today = dt.date.today()
    for w in waivers:
        if re.fullmatch(r"[A-Z]{3}-\d{2}", w.id) and w.id not in CONTROLS:
            notes.append(f"waiver {w.id} (line {w.line}) names no control in the catalog: waives nothing")
        elif w.id in CONTROLS and not w.active_on(today):
            notes.append(f"waiver {w.id} (line {w.line}) expired on {w.expires}: waives nothing")
    return waivers
