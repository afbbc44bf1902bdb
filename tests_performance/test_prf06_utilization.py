"""PRF-06 — Resource utilization: <80% memory, <70% CPU (`docker stats --no-stream`).

Per container over a window of sample rounds (each round samples the whole stack at once): peak
memory use against its memory limit, mean CPU over the window against its CPU limit (see
nestgate.rules.prf06_utilization), on every swarm node that runs one of its replicas; a node whose
figures cannot be read fails the control, named with the service's tasks on it.
"""

import pytest

from nestgate.gate.params import each_service
from nestgate.rules.findings import node_gap_findings
from nestgate.rules.prf06_utilization import utilization_findings

pytestmark = [pytest.mark.performance, pytest.mark.runtime]


@pytest.mark.control("PRF-06", service=each_service)
def test_utilization_under_limits(service, usage_window, engine, target_config, evidence):
    stack_name, perf = target_config.model.target.stack, target_config.model.performance
    rounds = len(usage_window.rounds)
    window = usage_window.window_s()
    evidence.source(f"{usage_window.source(engine.url)}, {rounds} rounds over {window:g} s, each over the whole "
                    "stack at once; CPU limit from HostConfig.NanoCpus")
    evidence.limit(memory_percent_under=perf.memory_percent_limit, cpu_percent_of_limit_under=perf.cpu_percent_limit)
    usage = [u for u in usage_window.per_container() if u.service == service]
    evidence.measure(window_s=window, round_seconds=usage_window.round_seconds(),
                     containers={u.container: u.record() for u in usage})
    gaps = node_gap_findings(usage_window.unreached, [service])
    found = evidence.judge(gaps + (utilization_findings(service, stack_name, usage, window, perf.memory_percent_limit,
                                                        perf.cpu_percent_limit) if usage or not gaps else []))
    assert not found, found.message
