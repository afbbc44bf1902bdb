"""Waivers: an explicit, owned, expiring exception for a control or a finding ID. One file per run
(--waivers=FILE, else $NESTGATE_WAIVERS) serves every control: a control ID waives that control's
failure (nestgate.gate.outcomes); a finding ID waives that finding in SEC-01's scan reports.

File format (TOML), one table per waiver:

    [[waiver]]
    id = "SEC-01"                # a control ID of the catalog, or a finding ID such as CVE-2024-1234
    justification = "why this is acceptable for now"
    owner = "security@example.org"
    expires = 2026-12-31         # a TOML date; the waiver is void from that day on

Every entry is checked; one bad entry stops the run naming the file and its line, and nothing is
waived: owner and justification must say something (blanks are not an owner); the id must be a
catalog control ID exactly or a finding ID of a known shape (nestgate.probes.readers.scan_reports.
FINDING_ID_SHAPES: CVE-, GHSA-, PYSEC-, GO-, RUSTSEC-, OSV-, DSA-/DLA-, RHSA-, ALAS-, USN-, ...);
expires may be at most `waivers.max_days` (default 90) after today. An expired waiver is accepted
but waives nothing, and the verdict says so.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from nestgate.catalog import CONTROLS
from nestgate.config.base import Strict
from nestgate.config.waivers import DEFAULT_MAX_DAYS
from nestgate.errors import NestgateError
from nestgate.gate.options import WAIVERS_ENV
from nestgate.probes.readers.scan_reports import FINDING_ID_SHAPES, is_finding_id

_CONTROL_LIKE = re.compile(r"[A-Za-z]{3}-\d{2}")


class WaiverError(NestgateError):
    """The waiver file is missing or malformed: nothing in it waives anything."""


def _bad(message: str) -> PydanticCustomError:
    return PydanticCustomError("waiver", "{detail}", {"detail": message})  # the text is not a template


class _Entry(Strict):
    id: str
    justification: str
    owner: str
    expires: dt.date

    @field_validator("justification", "owner")
    @classmethod
    def _said(cls, value: str) -> str:
        if not value.strip():
            raise _bad("is blank: say who owns this exception and why it is acceptable")
        return value.strip()

    @field_validator("id")
    @classmethod
    def _known_id(cls, value: str) -> str:
        if value in CONTROLS or is_finding_id(value):
            return value
        if _CONTROL_LIKE.fullmatch(value):
            hint = (f"control IDs are upper case: {value.upper()}" if value.upper() in CONTROLS
                    else "it names no control in the catalog (`nestgate controls` lists them)")
            raise _bad(f"{value!r} is not a control ID: {hint}")
        shapes = ", ".join(FINDING_ID_SHAPES)
        raise _bad(f"{value!r} is neither a control ID of the catalog (e.g. SEC-01) nor a finding ID of a known shape "
                   f"({shapes})")

    @field_validator("expires")
    @classmethod
    def _bounded(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        context = info.context or {}
        today: dt.date = context.get("today") or dt.date.today()
        max_days: int = context.get("max_days", DEFAULT_MAX_DAYS)
        latest = today + dt.timedelta(days=max_days)
        if value > latest:
            raise _bad(f"{value} is more than {max_days} days ahead (latest allowed: {latest}; waivers.max_days "
                       "in the target config)")
        return value


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


def load_waivers(path: Path, max_days: int = DEFAULT_MAX_DAYS, today: dt.date | None = None) -> list[Waiver]:
    """Every entry of the file, checked (see the module doc); WaiverError names the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WaiverError(f"{path}: cannot read waiver file: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise WaiverError(f"{path}: cannot read waiver file: not UTF-8 ({exc.reason})") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(f"{path}: not valid TOML: {exc}") from None
    lines = _entry_lines(text)
    try:
        parsed = _File.model_validate(raw, context={"max_days": max_days, "today": today or dt.date.today()})
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
    """The run's waiver file (--waivers, else $NESTGATE_WAIVERS), bounded by the target config's
    waivers.max_days: a malformed file stops the run; expired entries are noted for the verdict."""
    from nestgate.gate.state import loaded_config  # state imports Waiver from here

    path = config.getoption("waivers") or os.environ.get(WAIVERS_ENV)
    if not path:
        return []
    cfg = loaded_config(config)
    max_days = cfg.model.waivers.max_days if cfg is not None else DEFAULT_MAX_DAYS
    try:
        waivers = load_waivers(Path(path), max_days)
    except NestgateError as exc:
        raise pytest.UsageError(f"waiver file rejected, nothing is waived: {exc}") from None
    today = dt.date.today()
    notes += [f"waiver {w.id} (line {w.line}) expired on {w.expires}: waives nothing"
              for w in waivers if not w.active_on(today)]
    return waivers
