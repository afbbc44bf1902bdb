"""PRF-04, PRF-06 arithmetic: a window of `docker stats` rounds, per container and in total.

Memory is judged at its peak in the window (as `docker stats` computes use: usage minus inactive
page cache). CPU is the mean of the rounds' CPU percentages (each over the daemon's ~1 s sample),
so one scheduler burst on a busy host does not decide alone, while a sustained hog does. CPU is
judged against the container's own CPU limit: a container capped at 0.25 CPUs can never show more
than 25 % in `docker stats`, so the raw figure would make the 70 % target meaningless.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

from nestgate.probes.engine_facts import ContainerFacts, StatsRound
from nestgate.resource_limits import NANO, running_limits

MIB = 1024 * 1024


@dataclass(frozen=True)
class ContainerUsage:
    container: str
    service: str
    memory_peak_bytes: int
    memory_limit_bytes: int  # the cgroup limit `docker stats` divides by (host memory when none)
    cpu_mean_percent: float  # `docker stats` CPU %: 100 = one core
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
                "cpu_limit_cores": round(self.cpu_limit_cores, 3), "cpu_limited": self.cpu_limited,
                "cpu_percent_of_limit": round(self.cpu_percent_of_limit, 1)}


@dataclass(frozen=True)
class UsageWindow:
    containers: list[ContainerFacts]
    rounds: list[StatsRound]

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
            out.append(ContainerUsage(
                container=name, service=by_name[name].service, memory_peak_bytes=peak.memory_bytes,
                memory_limit_bytes=peak.memory_limit_bytes, cpu_mean_percent=fmean(s.cpu_percent for s in seen),
                cpu_limit_cores=cores, cpu_limited=bool(nano)))
        return out

    def totals(self) -> list[int]:
        """The stack's memory use in each round."""
        return [sum(s.memory_bytes for s in r.stats) for r in self.rounds]

    def round_seconds(self) -> list[float]:
        return [round(r.duration_s, 2) for r in self.rounds]
