"""Which tests are gate tests, and are they well formed.

A gate test is any test under a `tests_<gate>/` directory or carrying a gate or control marker.
Each must carry exactly one gate marker, one side marker (declared/runtime) and one control ID
from the catalog, whose gate matches; collection stops otherwise, naming the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nestgate.catalog import CONTROLS, GATES, SIDES
from nestgate.config.load import ENV_VAR
from nestgate.errors import ConfigError
from nestgate.gate.options import selected_controls
from nestgate.gate.state import CONFIG_PATH_KEY, loaded_config
from nestgate.gate.subjects import exclusion_errors


def _gate_dir(item: pytest.Item) -> str | None:
    for part in Path(str(item.path)).parts:
        if part.startswith("tests_") and part[len("tests_"):] in GATES:
            return part[len("tests_"):]
    return None


def _marker_names(item: pytest.Item) -> list[str]:
    return [m.name for m in item.iter_markers()]


def is_gate_test(item: pytest.Item) -> bool:
    names = _marker_names(item)
    return _gate_dir(item) is not None or "control" in names or any(g in names for g in GATES)


def control_of(item: pytest.Item) -> str | None:
    marks = list(item.iter_markers("control"))
    return str(marks[0].args[0]) if len(marks) == 1 and marks[0].args else None


def gate_problems(item: pytest.Item) -> list[str]:
    """Why this gate test is malformed; empty when it is fine."""
    names = _marker_names(item)
    gates = sorted({n for n in names if n in GATES})
    sides = sorted({n for n in names if n in SIDES})
    controls = [m.args[0] if m.args else None for m in item.iter_markers("control")]
    problems = []
    if len(gates) != 1:
        problems.append(f"needs exactly one gate marker ({', '.join(GATES)}), has {gates or 'none'}")
    if len(sides) != 1:
        problems.append(f"needs exactly one side marker ({', '.join(SIDES)}), has {sides or 'none'}")
    if len(controls) != 1:
        problems.append(f"needs exactly one control ID marker, has {len(controls)}")
    elif controls[0] not in CONTROLS:
        problems.append(f"control ID {controls[0]!r} is not in the catalog")
    elif len(gates) == 1 and CONTROLS[controls[0]].gate != gates[0]:
        problems.append(f"control {controls[0]} belongs to gate {CONTROLS[controls[0]].gate!r}, "
                        f"not {gates[0]!r}")
    folder = _gate_dir(item)
    if folder and len(gates) == 1 and folder != gates[0]:
        problems.append(f"lives in tests_{folder}/ but is marked {gates[0]!r}")
    return problems


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Runs before -m deselection: a malformed test fails the run even when not selected.
    bad = [f"{item.nodeid}: {'; '.join(p)}" for item in items if is_gate_test(item)
           for p in [gate_problems(item)] if p]
    if bad:
        raise pytest.UsageError("malformed gate test(s):\n  " + "\n  ".join(bad))
    if loaded_config(config) is None and any(is_gate_test(item) for item in items):
        raise pytest.UsageError(f"{config.stash[CONFIG_PATH_KEY]}: target config not found "
                                f"(give --target-config PATH or set ${ENV_VAR})")
    cfg = loaded_config(config)
    if cfg is not None and cfg.model.target.exclude and any(is_gate_test(item) for item in items):
        try:
            exclusion_errors(cfg)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    wanted = selected_controls(config)
    if wanted is not None:
        dropped = [i for i in items if is_gate_test(i) and control_of(i) not in wanted]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [i for i in items if i not in dropped]
