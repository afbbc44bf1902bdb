"""The control table, generated from the catalog and the gate tests that implement each control:
per ID its gate, checklist line, pass condition, test file, rules module and test functions.

The one-step rule for a newcomer: control ID -> tests_<gate>/test_<id>_<name>.py ->
nestgate/rules/<id>_<name>.py (the same name without `test_`).
"""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nestgate.catalog import CONTROLS, SIDES

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


@dataclass
class Implementation:
    files: set[Path] = field(default_factory=set)
    sides: set[str] = field(default_factory=set)
    tests: list[str] = field(default_factory=list)  # test functions, in collection order
    cases: int = 0  # collected test cases (parametrized subjects count apart)


class _Collector:
    def __init__(self) -> None:
        self.found: dict[str, Implementation] = defaultdict(Implementation)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marks = list(item.iter_markers("control"))
            if len(marks) == 1 and marks[0].args:
                impl = self.found[str(marks[0].args[0])]
                impl.files.add(Path(str(item.path)))
                impl.sides |= {m.name for m in item.iter_markers() if m.name in SIDES}
                name = getattr(item, "originalname", item.name)
                if name not in impl.tests:
                    impl.tests.append(name)
                impl.cases += 1


def implemented(root: Path, target_config: Path | None) -> dict[str, Implementation]:
    """Collect (not run) the gate suites under `root`."""
    collector = _Collector()
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", f"--rootdir={root}", str(root)]
    if target_config is not None:
        args.append(f"--target-config={target_config}")
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main(args, plugins=[collector])
    return dict(collector.found)


def rules_module(test_file: Path) -> Path | None:
    """The rules module of a control file: the same name without `test_`."""
    path = RULES_DIR / f"{test_file.stem.removeprefix('test_')}.py"
    return path if path.is_file() else None


def markdown(found: dict[str, Implementation], root: Path) -> str:
    def shown(path: Path) -> str:
        return str(path.relative_to(root) if path.is_relative_to(root) else path)

    lines = ["| ID | gate | checklist line | passes when | sides | test file | rules module | tests |",
             "|---|---|---|---|---|---|---|---|"]
    for c in CONTROLS.values():
        impl = found.get(c.id)
        if impl is None:
            lines.append(f"| {c.id} | {c.gate} | {c.checklist_line} | {c.passes_when} | **not implemented** "
                         "| | | |")
            continue
        files = sorted(impl.files)
        modules = [m for f in files if (m := rules_module(f)) is not None]
        tests = ", ".join(f"`{t}`" for t in impl.tests) + f" ({impl.cases} case{'s' if impl.cases != 1 else ''})"
        lines.append(f"| {c.id} | {c.gate} | {c.checklist_line} | {c.passes_when} | {', '.join(sorted(impl.sides))} "
                     f"| {', '.join(shown(f) for f in files)} "
                     f"| {', '.join(shown(m) for m in modules) or '**missing**'} | {tests} |")
    return "\n".join(lines)
