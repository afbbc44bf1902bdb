"""The control table, generated from the catalog and the gate tests that implement each control."""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from pathlib import Path

import pytest

from nestgate.catalog import CONTROLS, SIDES


class _Collector:
    def __init__(self) -> None:
        self.sides: dict[str, set[str]] = defaultdict(set)
        self.tests: dict[str, int] = defaultdict(int)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marks = list(item.iter_markers("control"))
            if len(marks) == 1 and marks[0].args:
                cid = str(marks[0].args[0])
                self.tests[cid] += 1
                self.sides[cid] |= {m.name for m in item.iter_markers() if m.name in SIDES}


def implemented(root: Path, target_config: Path | None) -> _Collector:
    """Collect (not run) the gate suites under `root`."""
    collector = _Collector()
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", f"--rootdir={root}", str(root)]
    if target_config is not None:
        args.append(f"--target-config={target_config}")
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main(args, plugins=[collector])
    return collector


def markdown(collector: _Collector) -> str:
    lines = ["| ID | gate | checklist line | sides | test cases |", "|---|---|---|---|---|"]
    for c in CONTROLS.values():
        sides = ", ".join(sorted(collector.sides.get(c.id, set()))) or "**not implemented**"
        lines.append(f"| {c.id} | {c.gate} | {c.checklist_line} | {sides} | {collector.tests.get(c.id, 0)} |")
    return "\n".join(lines)
