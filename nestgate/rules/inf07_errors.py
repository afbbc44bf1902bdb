"""INF-07 rules: error lines in logs and their rate, under the limit per minute.

"Errors per minute" here means the peak: the most matching lines within any 60-second span of
the window (a sliding window, so a burst across a minute boundary is not split in two). The
average over the observed span is reported beside it; the gate compares the peak.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.engine_facts import LogLine

SPAN_S = 60.0


@dataclass(frozen=True)
class Peak:
    count: int
    start: float  # epoch seconds of the first line of the busiest span (0 when no lines)


def matching(lines: Iterable[LogLine], pattern: str) -> list[LogLine]:
    rx = re.compile(pattern)
    return [line for line in lines if rx.search(line.text)]


def peak(times: Sequence[float], span_s: float = SPAN_S) -> Peak:
    """The most events within any half-open span [t, t + span_s) that starts at an event."""
    ordered = sorted(times)
    best = Peak(0, 0.0)
    for i, start in enumerate(ordered):
        count = bisect_right(ordered, start + span_s - 1e-9) - i
        if count > best.count:
            best = Peak(count, start)
    return best


def average_per_minute(count: int, observed_s: float) -> float:
    """Events per minute over the observed span (at least one minute, so a fresh stack's first
    seconds do not read as a huge rate)."""
    return count / max(observed_s / 60.0, 1.0)


def source_name(line: LogLine) -> str:
    """The container (a swarm task's container name) and, for service logs, its node, as
    `docker service logs` prints them: <container>@<node>."""
    return f"{line.container}@{line.node}" if line.node else line.container


def busiest_sources(lines: Iterable[LogLine], start: float, span_s: float = SPAN_S) -> list[tuple[str, int]]:
    """Containers (with their node, for service logs) by number of lines within [start, start + span_s),
    most first."""
    counts = Counter(source_name(line) for line in lines if start <= line.timestamp < start + span_s)
    return counts.most_common()


def errors_by_source(errors: Iterable[LogLine]) -> dict[str, int]:
    """Error lines per service (per container for one outside any service)."""
    return dict(Counter(e.service or e.container for e in errors))


def errors_by_node(errors: Iterable[LogLine]) -> dict[str, int]:
    """Error lines per swarm node (service logs only; container logs name no node)."""
    return dict(Counter(e.node for e in errors if e.node))


def no_containers(stack: str) -> Finding:
    return Finding(f"stack {stack}", "containers", 0, "at least 1", says="no containers: no logs to read")


def rate_findings(stack: str, errors: Sequence[LogLine], top: Peak, limit: float, window_min: float) -> list[Finding]:
    """The peak count within one minute must stay under the limit; the finding names when the
    busiest minute began, the busiest containers in it and one of its lines."""
    if top.count < limit:
        return []
    sources = busiest_sources(errors, top.start, SPAN_S)
    sample = next((e.text for e in errors if e.timestamp >= top.start), "")
    began = dt.datetime.fromtimestamp(top.start, dt.UTC).strftime("%H:%M:%SZ")
    return [Finding(f"stack {stack}", "errors per minute (peak)", top.count, f"under {limit:g}",
                    says=f"{top.count} errors within one minute from {began} "
                         f"(limit: under {limit:g}/minute; {len(errors)} in the last {window_min:g} min), from "
                         f"{', '.join(f'{name} ({n})' for name, n in sources[:3])}; e.g. {sample[:160]!r}")]
