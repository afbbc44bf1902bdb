"""PRF-05 arithmetic: nearest-rank percentiles of response times, and when the verdict is decided.

A failed request (timeout, refused, non-2xx) counts as over the limit: the target is a working
answer within the limit, not a fast error.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

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

    def passed(self) -> bool:
        return (len(self.attempts) == self.planned and not self.failures()
                and self.percentile_s() < self.limit_s and self.max_s() < self.limit_s)
