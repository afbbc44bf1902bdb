"""File-tree probe: every entry under a directory with its apparent size and its disk usage.

Symlinks are not followed (as `du` does by default); an unreadable directory is evidence
unavailable, since a total that silently skips part of the tree would understate it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from nestgate.errors import EvidenceUnavailable


@dataclass(frozen=True)
class TreeEntry:
    path: str  # posix path relative to the root
    kind: str  # "file", "dir", "symlink", "other"
    apparent_bytes: int  # st_size: the file's length (a symlink: its target's name)
    disk_bytes: int  # st_blocks * 512: what the filesystem allocated (what `du` counts by default)
    inode: tuple[int, int]  # (device, inode): hard links share it


@dataclass(frozen=True)
class TreeFacts:
    root: str
    root_disk_bytes: int  # the root directory's own blocks (`du -s` counts them)
    entries: list[TreeEntry]


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "other"


def walk_tree(root: Path) -> TreeFacts:
    """Everything under root (root itself excluded)."""
    if not root.exists():
        raise EvidenceUnavailable(f"{root} does not exist")
    if not root.is_dir():
        raise EvidenceUnavailable(f"{root} is not a directory")
    try:
        root_disk = root.stat().st_blocks * 512
    except OSError as exc:
        raise EvidenceUnavailable(f"cannot stat {root}: {exc.strerror}") from None
    entries: list[TreeEntry] = []
    pending = [(root, "")]
    while pending:
        directory, prefix = pending.pop()
        try:
            with os.scandir(directory) as it:
                children = list(it)
        except OSError as exc:
            raise EvidenceUnavailable(f"cannot read directory {directory}: {exc.strerror}") from None
        for child in children:
            rel = f"{prefix}{child.name}"
            try:
                st = child.stat(follow_symlinks=False)
            except OSError as exc:
                raise EvidenceUnavailable(f"cannot stat {directory / child.name}: {exc.strerror}") from None
            kind = _kind(st.st_mode)
            entries.append(TreeEntry(rel, kind, st.st_size, st.st_blocks * 512, (st.st_dev, st.st_ino)))
            if kind == "dir":
                pending.append((Path(child.path), rel + "/"))
    return TreeFacts(root=str(root), root_disk_bytes=root_disk, entries=sorted(entries, key=lambda e: e.path))
