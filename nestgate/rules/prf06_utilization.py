"""PRF-06 rules, and the window PRF-04 shares: `docker stats` rounds, per container and in total.

Memory is judged at its peak in the window (as `docker stats` computes use: usage minus inactive
page cache). CPU is the mean over the whole window, from the cumulative CPU counters of the first
and last rounds, with `docker stats`'s formula (container CPU time / host CPU time x CPUs x 100),
so one scheduler burst on a busy host does not decide alone while a sustained hog does; the
busiest interval is recorded too. CPU is judged against the container's own CPU limit: a
container capped at 0.25 CPUs can never show more than 25 % in `docker stats`, so the raw figure
would make the 70 % target meaningless. Both are judged strictly under their limits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from nestgate.probes.engine_facts import ContainerFacts, StatsFacts, StatsRound
from nestgate.rules.findings import Finding, NodeGap
from nestgate.rules.prf02_resource_limits import NANO, running_limits

MIB = 1024 * 1024


def cpu_percent(before: StatsFacts, after: StatsFacts) -> float:
    """`docker stats` CPU % between two samples of one container (100 = one core)."""
    cpu = after.cpu_total_ns - before.cpu_total_ns
    host = after.system_cpu_ns - before.system_cpu_ns
    return 100.0 * cpu / host * (after.online_cpus or 1) if cpu > 0 and host > 0 else 0.0


@dataclass(frozen=True)
class ContainerUsage:
    container: str
    service: str
    memory_peak_bytes: int
    memory_limit_bytes: int  # the cgroup limit `docker stats` divides by (host memory when none)
    cpu_mean_percent: float  # `docker stats` CPU % over the window: 100 = one core
    cpu_peak_percent: float  # the busiest interval between two rounds
    cpu_limit_cores: float  # the container's CPU limit, or the host's CPUs when it has none
    cpu_limited: bool

    @property
    def memory_percent(self) -> float:
        return 100.0 * self.memory_peak_bytes / self.memory_limit_bytes if self.memory_limit_bytes else 100.0

    @property
    def cpu_percent_of_limit(self) -> float:
        return self.cpu_mean_percent / self.cpu_limit_cores

    def record(self) -> dict[str, float | str | bool]:
        return {"service": self.service, "memory_mib": round(self.memory_peak_bytes / MIB, 1),
                "memory_limit_mib": round(self.memory_limit_bytes / MIB, 1),
                "memory_percent": round(self.memory_percent, 1),
                "cpu_percent_docker_stats": round(self.cpu_mean_percent, 1),
                "cpu_percent_busiest_interval": round(self.cpu_peak_percent, 1),
                "cpu_limit_cores": round(self.cpu_limit_cores, 3), "cpu_limited": self.cpu_limited,
                "cpu_percent_of_limit": round(self.cpu_percent_of_limit, 1)}


@dataclass(frozen=True)
class UsageWindow:
    containers: list[ContainerFacts]
    rounds: list[StatsRound]
    unreached: Sequence[NodeGap] = field(default_factory=tuple)  # nodes whose containers are not in the rounds

    def per_container(self) -> list[ContainerUsage]:
        by_name = {c.name: c for c in self.containers}
        out = []
        for name in sorted(by_name):
            seen = [s for r in self.rounds for s in r.stats if s.container == name]
            if not seen:
                continue
            nano = running_limits(by_name[name].inspect).nano_cpus
            cores = nano / NANO if nano else float(seen[-1].online_cpus or 1)
            peak = max(seen, key=lambda s: s.memory_bytes)
            intervals = [cpu_percent(a, b) for a, b in pairwise(seen)]
            out.append(ContainerUsage(
                container=name, service=by_name[name].service, memory_peak_bytes=peak.memory_bytes,
                memory_limit_bytes=peak.memory_limit_bytes, cpu_mean_percent=cpu_percent(seen[0], seen[-1]),
                cpu_peak_percent=max(intervals, default=0.0), cpu_limit_cores=cores, cpu_limited=bool(nano)))
        return out

    def totals(self) -> list[int]:
        """The stack's memory use in each round."""
        return [sum(s.memory_bytes for s in r.stats) for r in self.rounds]

    def window_s(self) -> float:
        return round(self.rounds[-1].at_s, 2) if self.rounds else 0.0

    def source(self, engine_url: str) -> str:
        """Where the samples came from, for the evidence: the host's cgroup files, the API, or both."""
        kinds = {s.source for r in self.rounds for s in r.stats}
        parts = []
        if "cgroup" in kinds:
            parts.append("each node's cgroup files through its testinfra host (memory.usage_in_bytes/memory.current, "
                         "memory.stat, cpuacct.usage/cpu.stat; /proc/stat), as the daemon reads them")
        if "api" in kinds:
            parts.append(f"GET /containers/{{id}}/stats?stream=false&one-shot=true on {engine_url}")
        return " and ".join(parts) or "no samples"

    def round_seconds(self) -> list[float]:
        """How long each round took: every container sampled at once, so about one API call."""
        return [round(r.duration_s, 3) for r in self.rounds]


def utilization_findings(service: str, stack: str, usage: Sequence[ContainerUsage], window_s: float,
                         memory_percent_limit: float, cpu_percent_limit: float) -> list[Finding]:
    """Every container of the service in the window (its usage) under both limits: peak memory
    against its memory limit, mean CPU against its CPU limit (the host's CPUs when it has none)."""
    subject = f"service {service}"
    if not usage:
        return [Finding(subject, "running containers", 0, "at least 1", says=f"no running container in stack {stack}")]
    out = []
    for u in usage:
        if u.memory_percent >= memory_percent_limit:
            out.append(Finding(subject, f"container {u.container} memory %", round(u.memory_percent, 1),
                               f"under {memory_percent_limit:g} %",
                               says=f"container {u.container} uses {u.memory_peak_bytes / MIB:.0f} MiB of its "
                                    f"{u.memory_limit_bytes / MIB:.0f} MiB memory limit ({u.memory_percent:.0f} %, "
                                    f"limit {memory_percent_limit:g} %)"))
        if u.cpu_percent_of_limit >= cpu_percent_limit:
            basis = (f"its {u.cpu_limit_cores:g} CPU limit" if u.cpu_limited
                     else f"the host's {u.cpu_limit_cores:g} CPUs")
            out.append(Finding(subject, f"container {u.container} CPU % of limit", round(u.cpu_percent_of_limit, 3),
                               f"under {cpu_percent_limit:g} %",
                               says=f"container {u.container} uses {u.cpu_percent_of_limit:.1f} % of {basis} "
                                    f"({u.cpu_mean_percent:.1f} % in docker stats, mean over {window_s:g} s), "
                                    f"limit {cpu_percent_limit:g} %"))
    return out
