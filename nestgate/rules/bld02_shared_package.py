"""BLD-02's judgement: does each way of loading the shared package land in its built output?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from nestgate.probes.node import Resolution


def _shown(path: Path, base: Path) -> str:
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def resolution_problems(found: Sequence[Resolution], output: Path, base: Path) -> list[str]:
    """One line per distinct problem, naming the loaders (require, import) that have it; paths
    shown relative to `base`."""
    problems: dict[str, list[str]] = {}
    for r in found:
        if r.path is None:
            problem = f"not resolved ({r.error})"
        elif not r.path.is_relative_to(output):
            problem = f"resolved to {_shown(r.path, base)}, outside the built output {_shown(output, base)}"
        elif not r.exists:
            problem = f"resolved to {_shown(r.path, base)}, which does not exist (not built?)"
        else:
            continue
        problems.setdefault(problem, []).append(r.kind)
    return [f"{' and '.join(kinds)}: {problem}" for problem, kinds in problems.items()]
