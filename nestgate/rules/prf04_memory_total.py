"""PRF-04 rules: the stack's memory use in total, at its peak over a window of `docker stats` rounds.

The window (each round sampling every running container of the stack at once) and each
container's use, as `docker stats` computes it, come from nestgate.rules.prf06_utilization,
which PRF-06 judges per container. A service with no running container in the window fails the
control: the total would silently leave it out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding
from nestgate.rules.prf06_utilization import MIB

if TYPE_CHECKING:
    from nestgate.rules.prf06_utilization import UsageWindow

LARGEST = 3


def memory_total_findings(stack: str, services: Sequence[str], window: UsageWindow,
                          limit_mb: float) -> list[Finding]:
    """Every expected service is in the window, and the stack's total is strictly under `limit_mb`
    MiB in every round; the largest containers are named when it is not."""
    usage = window.per_container()
    sampled = {u.service for u in usage}
    absent = [s for s in services if s not in sampled]
    if absent:
        return [Finding(f"stack {stack}", "services sampled", sorted(sampled), list(services),
                        says=f"no running container for service(s) {', '.join(absent)}, "
                             "so the total would leave them out")]
    totals = window.totals()
    peak = max(totals, default=0)
    if peak < limit_mb * MIB:
        return []
    largest = ", ".join(f"{u.container} ({u.memory_peak_bytes / MIB:.0f} MiB)"
                        for u in sorted(usage, key=lambda u: -u.memory_peak_bytes)[:LARGEST])
    return [Finding(f"stack {stack}", "memory total", f"{peak / MIB:.0f} MiB", f"under {limit_mb:g} MiB",
                    says=f"uses {peak / MIB:.0f} MiB of memory in total (peak of {len(totals)} docker stats "
                         f"rounds, {len(usage)} containers), limit {limit_mb:g} MiB; largest: {largest}")]
