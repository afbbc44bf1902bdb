"""BLD-02 rules: does each way of loading the shared package (require, import) land in its built
output, from a consumer package that exists?"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.node import Resolution


def _shown(path: Path, base: Path) -> str:
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def missing_consumer_finding(consumer: str, directory: Path) -> Finding:
    """A configured consumer package whose directory is not there: nothing to resolve from."""
    return Finding(f"consumer {consumer}", "directory", str(directory), "an existing directory",
                   says=f"directory {directory} does not exist")


def resolution_findings(package: str, consumer: str, found: Sequence[Resolution], output: Path,
                        base: Path) -> list[Finding]:
    """One finding per distinct problem, naming the loaders (require, import) that have it; paths
    shown relative to `base`."""
    expected = f"an existing file inside {_shown(output, base)}"
    problems: dict[str, tuple[str | None, list[str]]] = {}
    for r in found:
        if r.path is None:
            problem, measured = f"not resolved ({r.error})", None
        elif not r.path.is_relative_to(output):
            measured = _shown(r.path, base)
            problem = f"resolved to {measured}, outside the built output {_shown(output, base)}"
        elif not r.exists:
            measured = _shown(r.path, base)
            problem = f"resolved to {measured}, which does not exist (not built?)"
        else:
            continue
        problems.setdefault(problem, (measured, []))[1].append(r.kind)
    return [Finding(f"{package} from consumer {consumer}", f"{' and '.join(kinds)} resolution", measured, expected,
                    says=f"{' and '.join(kinds)}: {problem}") for problem, (measured, kinds) in problems.items()]
