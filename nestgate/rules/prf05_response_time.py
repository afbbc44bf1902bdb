"""PRF-05 rules: nearest-rank percentiles of response times, when the verdict is decided, and the
verdict itself: every planned request answered 2xx, p95 and max strictly under the limit.

A failed request (timeout, refused, non-2xx) counts as over the limit: the target is a working
answer within the limit, not a fast error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.traffic import Attempt


def nearest_rank(values: Sequence[float], percent: float) -> float:
    """The smallest value with at least `percent` % of values at or below it (no interpolation)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    return ordered[rank(len(ordered), percent) - 1]


def rank(n: int, percent: float) -> int:
    """1-based nearest rank of the percentile among n values."""
    return min(n, max(1, math.ceil(percent / 100.0 * n)))


@dataclass
class LatencyRun:
    """Attempts against one endpoint, judged against `limit_s` (strictly under) at the
    `percent` percentile and at the max."""

    planned: int
    limit_s: float
    percent: float = 95.0
    attempts: list[Attempt] = field(default_factory=list)

    def add(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def bad(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok or a.elapsed_s >= self.limit_s]

    def decided(self) -> bool:
        """True once both the percentile and the max over all `planned` requests must exceed the
        limit whatever the remaining requests do: at most rank-1 good answers can sit below it."""
        return len(self.bad()) >= self.planned - rank(self.planned, self.percent) + 1

    def failures(self) -> list[Attempt]:
        return [a for a in self.attempts if not a.ok]

    def percentile_s(self) -> float:
        return nearest_rank([a.elapsed_s for a in self.attempts], self.percent)

    def max_s(self) -> float:
        return max(a.elapsed_s for a in self.attempts)


def response_findings(url: str, run: LatencyRun) -> list[Finding]:
    """What keeps the run of GETs to `url` from meeting the target: failed requests; p95 or max at
    or over the limit (saying so when the run stopped early, decided); a run not finished."""
    subject, sent = f"GET {url}", len(run.attempts)
    if not sent:
        return [Finding(subject, "requests sent", 0, run.planned, says=f"no request sent of {run.planned} planned")]
    out = []
    failures = run.failures()
    if failures:
        out.append(Finding(subject, "failed requests", len(failures), 0,
                           says=f"{len(failures)} of {sent} requests failed ({failures[0].why()})"))
    pct, worst = run.percentile_s(), run.max_s()
    if pct >= run.limit_s or worst >= run.limit_s:
        p = f"p{run.percent:g}"
        stopped = (f" (stopped after {sent} of {run.planned}: {p} and max over all are over)"
                   if sent < run.planned else "")
        out.append(Finding(subject, "response time", {f"{p}_s": round(pct, 3), "max_s": round(worst, 3)},
                           f"{p} and max under {run.limit_s:g} s",
                           says=f"{p} {pct:.2f} s, max {worst:.2f} s over {sent} requests, "
                                f"limit {run.limit_s:g} s{stopped}"))
    if sent < run.planned and not out:
        out.append(Finding(subject, "requests sent", sent, run.planned,
                           says=f"only {sent} of {run.planned} requests sent"))
    return out
