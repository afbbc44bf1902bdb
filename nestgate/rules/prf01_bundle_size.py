"""PRF-01 rules: the size of a build output, with exclusions, the way an auditor can redo it.

Two figures, because `du -sh` (what the procedure runs) and "bundle size" differ:
- apparent bytes (judged): the lengths of the files and symlinks that ship, each hard-linked inode
  once; directory entries are not content and are not counted (`du -sb` adds about 4 KiB each);
- disk bytes (recorded): blocks allocated to files and directories, root included, each inode
  once: exactly what `du -s -B1` prints, so `du -sh` rounds this figure, not the judged one.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.files import TreeEntry

MIB = 1024 * 1024
LARGEST = 10


def excluded_by(path: str, patterns: Iterable[str]) -> str | None:
    """The pattern that excludes `path` (itself or a parent directory), or None."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    for pattern in patterns:
        clean = pattern.strip("/")
        if any(p == clean or fnmatch.fnmatchcase(p, clean) for p in prefixes):
            return pattern
    return None


@dataclass(frozen=True)
class BundleSize:
    apparent_bytes: int
    disk_bytes: int
    files: int
    directories: int
    excluded_bytes: int  # apparent bytes of the files left out
    excluded: dict[str, int]  # pattern -> apparent bytes it removed
    largest: list[tuple[str, int]]  # the biggest counted files, biggest first

    @property
    def apparent_mib(self) -> float:
        return self.apparent_bytes / MIB


def measure(entries: Iterable[TreeEntry], exclude: Iterable[str], root_disk_bytes: int = 0) -> BundleSize:
    patterns = list(exclude)
    seen: set[tuple[int, int]] = set()
    apparent, disk = 0, root_disk_bytes
    files = dirs = 0
    excluded: dict[str, int] = {p: 0 for p in patterns}
    sizes: list[tuple[str, int]] = []
    for entry in entries:
        pattern = excluded_by(entry.path, patterns)
        if pattern is not None:
            if entry.kind != "dir":
                excluded[pattern] += entry.apparent_bytes
            continue
        if entry.inode in seen:  # a second hard link to content already counted
            continue
        seen.add(entry.inode)
        disk += entry.disk_bytes
        if entry.kind == "dir":
            dirs += 1
            continue
        apparent += entry.apparent_bytes
        files += 1
        sizes.append((entry.path, entry.apparent_bytes))
    sizes.sort(key=lambda item: (-item[1], item[0]))
    return BundleSize(apparent_bytes=apparent, disk_bytes=disk, files=files, directories=dirs,
                      excluded_bytes=sum(excluded.values()), excluded=excluded, largest=sizes[:LARGEST])


def mib(nbytes: float) -> str:
    return f"{nbytes / MIB:.2f} MiB"


def bundle_findings(output: str, root: str, size: BundleSize, limit_mb: float, exclude: Sequence[str]) -> list[Finding]:
    """The build output `output` (at `root`) holds files, and their apparent size is strictly under
    `limit_mb` MiB; the three largest files are named when it is not."""
    if not size.files:
        return [Finding(f"frontend build output {root}", "files", 0, f"at least one outside {list(exclude)}",
                        says=f"holds no files outside {list(exclude)}")]
    if size.apparent_bytes < limit_mb * MIB:
        return []
    top = ", ".join(f"{p} ({mib(n)})" for p, n in size.largest[:3])
    return [Finding(f"frontend build output {output}", "apparent size", mib(size.apparent_bytes),
                    f"under {limit_mb:g} MiB",
                    says=f"{mib(size.apparent_bytes)} (apparent, {size.files} files, excluding "
                         f"{', '.join(exclude) or 'nothing'}), limit {limit_mb:g} MiB; largest: {top}")]
