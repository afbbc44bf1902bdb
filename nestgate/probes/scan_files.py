"""Read scanner report files: what is there, how old, and what it says (or why it cannot be read)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from nestgate.probes.readers.scan_reports import PARSERS, ReportError, ScanResult

# A report bigger than this is not a report nestgate should load into memory.
MAX_BYTES = 256 * 2**20


@dataclass(frozen=True)
class ReportFacts:
    path: Path
    format: str
    problem: str  # "" when the report was read and parsed
    result: ScanResult | None
    created: dt.datetime | None  # the report's own timestamp, else the file's mtime
    created_from: str  # "report" or "mtime"

    def age_hours(self, now: dt.datetime) -> float | None:
        return None if self.created is None else (now - self.created).total_seconds() / 3600


def read_report(path: Path, fmt: str) -> ReportFacts:
    def broken(problem: str, created: dt.datetime | None = None) -> ReportFacts:
        return ReportFacts(path, fmt, problem, None, created, "mtime")

    try:
        stat = path.stat()
    except FileNotFoundError:
        return broken("missing")
    except OSError as exc:
        return broken(f"cannot be read: {exc.strerror}")
    mtime = dt.datetime.fromtimestamp(stat.st_mtime, dt.UTC)
    if not path.is_file():
        return broken("is not a file", mtime)
    if stat.st_size > MAX_BYTES:
        return broken(f"is {stat.st_size} bytes, more than a report should be", mtime)
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        return broken(f"cannot be read: {exc.strerror}", mtime)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return broken(f"is not JSON ({exc})", mtime)
    try:
        result = PARSERS[fmt](doc)
    except ReportError as exc:
        return broken(f"is not a {fmt} report: {exc}", mtime)
    if result.created is not None:
        return ReportFacts(path, fmt, "", result, result.created, "report")
    return ReportFacts(path, fmt, "", result, mtime, "mtime")
