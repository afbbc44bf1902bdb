"""Parsers for what one command on a node prints: `@@<kind> <args>` headers, each followed by the
content of one file or command (nestgate/probes/nodes_scripts.py writes them). Pure: text in, facts out."""

from __future__ import annotations

from dataclasses import dataclass

NS = 1_000_000_000
MARK = "@@"


@dataclass(frozen=True)
class Section:
    kind: str
    args: tuple[str, ...]
    text: str


def sections(output: str) -> list[Section]:
    """The sections of a node command's output, in order; text before the first header is dropped."""
    out: list[Section] = []
    head: list[str] | None = None
    body: list[str] = []
    for line in output.splitlines():
        if line.startswith(MARK):
            if head is not None:
                out.append(Section(head[0], tuple(head[1:]), "\n".join(body)))
            head, body = line[len(MARK):].split() or [""], []
        elif head is not None:
            body.append(line)
    if head is not None:
        out.append(Section(head[0], tuple(head[1:]), "\n".join(body)))
    return out


def stat_fields(text: str) -> dict[str, int]:
    """`key value` lines (memory.stat, cpu.stat) as integers; other lines are ignored."""
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            out[key] = int(value)
    return out


def host_cpu_ns(proc_stat: str, clock_ticks: int) -> int:
    """The host's CPU time as the daemon counts it: user..softirq of /proc/stat's `cpu` line."""
    first = proc_stat.splitlines()[0].split()
    return sum(int(x) for x in first[1:8]) * NS // clock_ticks


def mem_total_bytes(meminfo: str) -> int:
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) * 1024
    return 0


def cgroup_lines(cgroup_text: str, container_id: str) -> list[tuple[list[str], str]]:
    """(controllers, path) of each /proc/<pid>/cgroup line that names the container."""
    out = []
    for line in cgroup_text.splitlines():
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if container_id in path:
            out.append((controllers.split(",") if controllers else [], path))
    return out


@dataclass(frozen=True)
class CgroupMemory:
    """One container's counters as its cgroup files give them (v1 or v2)."""

    usage_bytes: int
    inactive_file_bytes: int
    limit_bytes: int | None  # None: no limit ("max" on v2)
    cpu_ns: int


def cgroup_memory(files: dict[str, str]) -> CgroupMemory | None:
    """From the files a stats read printed (name -> content); None when a needed one is missing."""
    try:
        if "memory.usage_in_bytes" in files:  # cgroup v1
            stat = stat_fields(files["memory.stat"])
            return CgroupMemory(int(files["memory.usage_in_bytes"]),
                                stat.get("total_inactive_file", stat.get("inactive_file", 0)),
                                int(files["memory.limit_in_bytes"]), int(files["cpuacct.usage"]))
        if "memory.current" in files:
            limit = files["memory.max"].strip()
            return CgroupMemory(int(files["memory.current"]),
                                stat_fields(files["memory.stat"]).get("inactive_file", 0),
                                None if limit == "max" else int(limit),
                                stat_fields(files["cpu.stat"]).get("usage_usec", 0) * 1000)
    except (KeyError, ValueError):
        return None
    return None
