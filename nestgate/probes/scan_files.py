"""Read scanner report files: what is there and what it says (or why it cannot be read).

The report's age comes from its own time only: a file's mtime says when it was copied, not when
the scan ran, so a report without a readable time is no current evidence (nestgate.rules.sec01_scan).
"""

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

    @property
    def created(self) -> dt.datetime | None:
        """The report's own time; None when it has none or it does not parse."""
        return self.result.created if self.result is not None else None

    def age_hours(self, now: dt.datetime) -> float | None:
        return None if self.created is None else (now - self.created).total_seconds() / 3600


def read_report(path: Path, fmt: str) -> ReportFacts:
    def broken(problem: str) -> ReportFacts:
        return ReportFacts(path, fmt, problem, None)

    try:
        stat = path.stat()
    except FileNotFoundError:
        return broken("missing")
    except OSError as exc:
        return broken(f"cannot be read: {exc.strerror}")
    if not path.is_file():
        return broken("is not a file")
    if stat.st_size > MAX_BYTES:
        return broken(f"is {stat.st_size} bytes, more than a report should be")
    try:
        doc = json.loads(path.read_bytes())
    except OSError as exc:
        return broken(f"cannot be read: {exc.strerror}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return broken(f"is not JSON ({exc})")
    try:
        return ReportFacts(path, fmt, "", PARSERS[fmt](doc))
    except ReportError as exc:
        return broken(f"is not a {fmt} report: {exc}")
