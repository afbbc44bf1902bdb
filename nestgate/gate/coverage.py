"""Completeness: a gate is GO only when every control of the catalog in the run's scope ran its body
on each of its sides, for every subject, and passed.

The scope comes from the command line alone: the gates and sides the -m expression selects (no -m:
every gate a collected test belongs to, on both sides) and --nestgate-controls. A scope narrower
than a whole gate is a coverage mode of its own, named in the verdict ("declared side only",
"controls INF-04, INF-06 only"). Narrowing by anything else (-k, --deselect, a single file, a
plugin or conftest dropping tests, --setup-only) leaves expected tests unrun: NO-GO, naming them.

The expected tests are the ones nestgate's own parametrization generates (the ledger, filled by
nestgate.gate.params during collection), so a test removed afterwards is missed, not forgotten.
Under xdist the workers collect and send their ledger to the controller with their final output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nestgate.catalog import CONTROLS, GATES, SIDES, controls_of

LEDGER_OUTPUT = "nestgate_ledger"  # key of the ledger in an xdist worker's output
_SHOWN = 12  # unrun tests named in a verdict line; the rest are counted


def selected_sides(markexpr: str) -> dict[str, frozenset[str]]:
    """The gates a -m expression selects by name, and on which sides:
    `-m "security and not slow"` -> {security: both}, `-m "security and declared"` -> {security: declared}."""
    from _pytest.mark.expression import Expression

    if not markexpr.strip():
        return {}
    try:
        expr = Expression.compile(markexpr)
    except Exception:  # an invalid expression is pytest's usage error, reported by pytest
        return {}
    named = set(re.findall(r"[A-Za-z_]\w*", markexpr))
    out = {}
    for gate in GATES:
        if gate not in named:
            continue
        sides = frozenset(s for s in SIDES if expr.evaluate(lambda name, /, _n={gate, s}, **_kw: name in _n))
        if sides:
            out[gate] = sides
    return out


@dataclass(frozen=True)
class Scope:
    """What the run was asked to judge: gates, the sides of each, and (maybe) a control subset."""

    sides: dict[str, frozenset[str]]  # gate -> sides
    controls: frozenset[str] | None = None  # --nestgate-controls

    @property
    def gates(self) -> list[str]:
        return [g for g in GATES if g in self.sides]

    def expected(self, gate: str) -> list[tuple[str, str]]:
        """(control, side) pairs of the catalog this gate's verdict needs."""
        return [(c.id, side) for c in controls_of(gate) if self.controls is None or c.id in self.controls
                for side in c.sides if side in self.sides.get(gate, ())]

    def label(self, gate: str) -> str:
        """"full", or the coverage mode: which controls, which side."""
        return coverage_label(gate, self.controls, self.sides.get(gate, frozenset(SIDES)))


def coverage_label(gate: str, controls: frozenset[str] | set[str] | None, sides: frozenset[str] | set[str]) -> str:
    parts = []
    mine = sorted(c for c in controls or () if CONTROLS[c].gate == gate)
    if controls is not None and mine != [c.id for c in controls_of(gate)]:
        parts.append(f"controls {', '.join(mine)} only")
    if set(sides) != set(SIDES):
        parts.append(f"{' and '.join(sorted(sides))} side only")
    return "; ".join(parts) or "full"


def scope_of(markexpr: str, controls: set[str] | None, collected_gates: set[str]) -> Scope:
    """The run's scope. Without -m, every gate a collected gate test belongs to, both sides."""
    sides = selected_sides(markexpr) if markexpr.strip() else {g: frozenset(SIDES) for g in collected_gates}
    if controls is not None:
        sides = {g: s for g, s in sides.items() if any(CONTROLS[c].gate == g for c in controls)}
        if not markexpr.strip():
            sides |= {CONTROLS[c].gate: frozenset(SIDES) for c in controls}
    return Scope(sides, frozenset(controls) if controls is not None else None)


@dataclass
class Ledger:
    """The gate tests nestgate generated (nodeid -> control, side) and the ones pytest deselected."""

    generated: dict[str, tuple[str, str]] = field(default_factory=dict)
    deselected: set[str] = field(default_factory=set)
    received: bool = True  # False on an xdist controller until a worker's ledger arrives

    def add(self, nodeid: str, control: str, side: str) -> None:
        self.generated[nodeid] = (control, side)

    def to_json(self) -> dict[str, Any]:
        return {"generated": {k: list(v) for k, v in self.generated.items()}, "deselected": sorted(self.deselected)}

    def merge(self, data: dict[str, Any]) -> None:
        self.generated |= {k: (v[0], v[1]) for k, v in data.get("generated", {}).items()}
        self.deselected |= set(data.get("deselected", []))
        self.received = True

    def gates(self) -> set[str]:
        return {CONTROLS[c].gate for c, _ in self.generated.values()}


def _short(nodeid: str, side: str) -> str:
    """test_x[SEC-04[app]] -> SEC-04[app] (runtime)."""
    bracket = nodeid.find("[")
    return f"{nodeid[bracket + 1:-1] if bracket >= 0 else nodeid} ({side})"


def unrun(scope: Scope, gate: str, ledger: Ledger, reported: set[str], why_not_run: str) -> list[str]:
    """What of this gate's scope did not run, one phrase per cause; empty when everything ran.
    `reported`: node IDs with a test outcome (a call report, or a failed setup)."""
    if not ledger.received:
        return ["no collection ledger came back from the xdist workers"]
    expected = set(scope.expected(gate))
    if not expected:
        return ["no control of the catalog is in the selection"]
    present = set(ledger.generated.values())
    problems = [f"{cid} ({side}) not collected" for cid, side in sorted(expected - present)]
    groups: dict[str, list[str]] = {}
    for nodeid, (cid, side) in sorted(ledger.generated.items(), key=lambda kv: (kv[1], kv[0])):
        if (cid, side) not in expected or nodeid in reported:
            continue
        cause = "deselected" if nodeid in ledger.deselected else why_not_run
        groups.setdefault(cause, []).append(_short(nodeid, side))
    for cause, listed in groups.items():
        tests = list(dict.fromkeys(listed))  # two tests of one control and subject read as one entry
        more = f" and {len(tests) - _SHOWN} more" if len(tests) > _SHOWN else ""
        problems.append(f"{cause}: {', '.join(tests[:_SHOWN])}{more}")
    return problems


def not_run_count(scope: Scope, gate: str, ledger: Ledger, reported: set[str]) -> int:
    expected = set(scope.expected(gate))
    return sum(1 for nodeid, pair in ledger.generated.items() if pair in expected and nodeid not in reported)
