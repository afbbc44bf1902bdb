"""`docker stats` figures read straight from the engine host's cgroup files, as the daemon reads them.

Through the API a one-shot stats call costs the daemon a containerd/shim round trip per container:
on a small host with 200 containers one round takes many seconds, so "one sample period for the
whole stack" stops being true. The same counters sit in files: memory usage and page cache, the
limit, cumulative CPU time, and /proc/stat for the host's CPU time. Same arithmetic as
engine.stats_from_raw (usage minus inactive file pages; system CPU as the daemon sums it).

Only where nestgate runs on the engine's host (like SEC-04's /proc reads): None means "not readable
here", and the caller asks the API instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from nestgate.probes.engine_facts import ContainerFacts, StatsFacts
from nestgate.probes.readers.node_sections import host_cpu_ns as proc_stat_cpu_ns
from nestgate.probes.readers.node_sections import mem_total_bytes, stat_fields

PROC = Path("/proc")
CGROUP_ROOT = Path("/sys/fs/cgroup")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _read(path: Path) -> str:
    return path.read_text().strip()


def host_cpu_ns() -> int:
    """The host's CPU time as the daemon counts it: user..softirq of /proc/stat's `cpu` line."""
    return proc_stat_cpu_ns((PROC / "stat").read_text(), CLOCK_TICKS)


def host_memory_bytes() -> int:
    return mem_total_bytes((PROC / "meminfo").read_text())


def _paths(container: ContainerFacts) -> dict[str, Path] | None:
    """The container's memory and CPU cgroup directories, v1 or v2; None if not found here."""
    try:
        text = (PROC / str(container.pid) / "cgroup").read_text()
    except OSError:
        return None
    found: dict[str, Path] = {}
    for line in text.splitlines():
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if container.id not in path:
            continue
        rel = path.lstrip("/")
        names = controllers.split(",")
        if "memory" in names:
            found["memory"] = CGROUP_ROOT / "memory" / rel
        if "cpuacct" in names:
            found["cpu"] = CGROUP_ROOT / "cpuacct" / rel
        if controllers == "" and "memory" not in found and (CGROUP_ROOT / rel / "memory.current").exists():
            found["v2"] = CGROUP_ROOT / rel
    return found or None


def read_stats(container: ContainerFacts, system_cpu_ns: int, online_cpus: int,
               host_memory: int) -> StatsFacts | None:
    """One sample of one container from its cgroup files; None when they cannot be read here."""
    if not container.pid:
        return None
    paths = _paths(container)
    if paths is None:
        return None
    try:
        if "memory" in paths and "cpu" in paths:  # cgroup v1
            mem = paths["memory"]
            usage = int(_read(mem / "memory.usage_in_bytes"))
            stat = stat_fields((mem / "memory.stat").read_text())
            cache = stat.get("total_inactive_file", stat.get("inactive_file", 0))
            limit = int(_read(mem / "memory.limit_in_bytes"))
            cpu_ns = int(_read(paths["cpu"] / "cpuacct.usage"))
        elif "v2" in paths:
            base = paths["v2"]
            usage = int(_read(base / "memory.current"))
            cache = stat_fields((base / "memory.stat").read_text()).get("inactive_file", 0)
            raw_limit = _read(base / "memory.max")
            limit = host_memory if raw_limit == "max" else int(raw_limit)
            cpu_ns = stat_fields((base / "cpu.stat").read_text()).get("usage_usec", 0) * 1000
        else:
            return None
    except (OSError, ValueError):
        return None  # the container stopped, or the files are not ours to read: ask the API
    return StatsFacts(
        container=container.name, service=container.service,
        memory_bytes=max(0, usage - cache),
        # No limit: cgroup v1 reports a huge number; the daemon and the CLI show the host's memory.
        memory_limit_bytes=min(limit, host_memory) if host_memory else limit,
        cpu_percent=0.0,  # one read has no interval: CPU % comes from two rounds' counters
        online_cpus=online_cpus, cpu_total_ns=cpu_ns, system_cpu_ns=system_cpu_ns,
        source="cgroup",
    )
