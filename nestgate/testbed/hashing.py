"""Content hashes: image tags and cache keys change exactly when their inputs change."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path


def hash_files(files: Mapping[str, bytes], *extra: str) -> str:
    """A short hex digest of named contents plus extra strings, independent of order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    for item in extra:
        digest.update(b"\1" + item.encode())
    return digest.hexdigest()[:16]


def read_tree(root: Path, skip: Iterable[str] = ()) -> dict[str, bytes]:
    """Every regular file under root, keyed by its posix path relative to root."""
    skipped = set(skip)
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not any(rel == s or rel.startswith(s + "/") for s in skipped):
            out[rel] = path.read_bytes()
    return out
