"""The control table, generated from the catalog and the gate tests that implement each control:
per ID its gate, checklist line, pass condition, test file, rules module and test functions
(as a Markdown table, or as JSON with each control's test node IDs).

The one-step rule for a newcomer: control ID -> tests_<gate>/test_<id>_<name>.py ->
nestgate/rules/<id>_<name>.py (the same name without `test_`).
"""

from __future__ import annotations

import contextlib
import io
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nestgate.catalog import CONTROLS, GATES, SIDES
from nestgate.errors import NestgateError

RULES_DIR = Path(__file__).resolve().parents[1] / "rules"


@dataclass
class Implementation:
    files: set[Path] = field(default_factory=set)
    sides: set[str] = field(default_factory=set)
    tests: list[str] = field(default_factory=list)  # test functions, in collection order
    cases: int = 0  # collected test cases (parametrized subjects count apart)
    node_ids: list[str] = field(default_factory=list)  # every collected case, as pytest names it


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
                impl.node_ids.append(item.nodeid)


def implemented(root: Path, target_config: Path | None) -> dict[str, Implementation]:
    """Collect (not run) the gate suites under `root`."""
    collector = _Collector()
    suites = [str(root / f"tests_{gate}") for gate in GATES if (root / f"tests_{gate}").is_dir()]
    if not suites:
        raise NestgateError(f"no gate suite (tests_<gate>/) under {root}")
    args = ["--collect-only", "-q", "-p", "no:cacheprovider", f"--rootdir={root}", *suites]
    if target_config is not None:
        args.append(f"--target-config={target_config}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = pytest.main(args, plugins=[collector])
    # 1 is the verdict's NO-GO (no control ran in a collect-only run); 2-4 mean collection broke
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.NO_TESTS_COLLECTED):
        # a table of "not implemented" rows from a collection that broke would be a lie
        last = next((line for line in reversed(out.getvalue().splitlines()) if line.strip()), "")
        raise NestgateError(f"collecting the gate suites under {root} failed (pytest exit {int(code)}): {last}")
    return dict(collector.found)


def rules_module(test_file: Path) -> Path | None:
    """The rules module of a control file: the same name without `test_`."""
    path = RULES_DIR / f"{test_file.stem.removeprefix('test_')}.py"
    return path if path.is_file() else None


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root) if path.is_relative_to(root) else path)


def status(impl: Implementation | None) -> str:
    """implemented, not implemented (no test carries the ID), or rules module missing."""
    if impl is None:
        return "not implemented"
    return "implemented" if all(rules_module(f) is not None for f in impl.files) else "rules module missing"


def records(found: dict[str, Implementation], root: Path) -> list[dict[str, object]]:
    """One record per catalog control: what `nestgate controls --json` prints."""
    out: list[dict[str, object]] = []
    for c in CONTROLS.values():
        impl = found.get(c.id)
        files = sorted(impl.files) if impl else []
        out.append({"id": c.id, "gate": c.gate, "checklist_line": c.checklist_line, "passes_when": c.passes_when,
                    "sides": list(c.sides), "implemented_sides": sorted(impl.sides) if impl else [],
                    "test_files": [_shown(f, root) for f in files],
                    "rules_modules": [_shown(m, root) for f in files if (m := rules_module(f)) is not None],
                    "tests": list(impl.tests) if impl else [], "node_ids": list(impl.node_ids) if impl else [],
                    "status": status(impl)})
    return out


def as_json(found: dict[str, Implementation], root: Path) -> str:
    return json.dumps(records(found, root), indent=2)


def markdown(found: dict[str, Implementation], root: Path) -> str:
    def shown(path: Path) -> str:
        return _shown(path, root)

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
