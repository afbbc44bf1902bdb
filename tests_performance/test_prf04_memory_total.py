"""PRF-04 — Memory usage within acceptable ranges (<2GB total)
(`docker stats --no-stream --format "table {{.Name}}\t{{.MemUsage}}"`).

The stack's total is the sum of every running container's memory use as `docker stats` computes
it, on every swarm node running a task of the stack, judged at its peak over the sample rounds;
every container's figure is recorded. A node whose figures cannot be read fails the control, named.
"""

import pytest

from nestgate.rules.findings import node_gap_findings
from nestgate.rules.prf04_memory_total import memory_total_findings
from nestgate.rules.prf06_utilization import MIB

pytestmark = [pytest.mark.performance, pytest.mark.runtime]


@pytest.mark.control("PRF-04")
def test_stack_memory_total_under_limit(usage_window, engine, target_config, evidence):
    target, perf = target_config.model.target, target_config.model.performance
    rounds = len(usage_window.rounds)
    evidence.source(f"{usage_window.source(engine.url)}: every running container of stack {target.stack}, "
                    f"{rounds} rounds {perf.stats_interval_s:g} s apart, each round over the whole stack at once")
    evidence.limit(total_mib_under=perf.memory_total_limit_mb)
    usage = usage_window.per_container()
    totals = usage_window.totals()
    evidence.measure(total_mib_per_round=[round(t / MIB, 1) for t in totals],
                     window_s=usage_window.window_s(), round_seconds=usage_window.round_seconds(),
                     per_container_mib={u.container: round(u.memory_peak_bytes / MIB, 1) for u in usage},
                     nodes_not_read=[g.describe() for g in usage_window.unreached])
    found = evidence.judge(node_gap_findings(usage_window.unreached)
                           + memory_total_findings(target.stack, target.services, usage_window,
                                                   perf.memory_total_limit_mb))
    assert not found, found.message
