"""What a seeded fault is: a patch of the compose model, source tree or target config, plus
engine-side steps where a patch alone cannot express it. Each breaks exactly one control, or
declares (`also`) the other control it breaks by nature and why; the exclusivity matrix in
selftest/matrix/ holds every fault to exactly that set across all four gates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nestgate.testbed.compose import Model
    from nestgate.testbed.testbed import Testbed

Hook = Callable[["Testbed"], None]


@dataclass(frozen=True)
class Fault:
    name: str
    control: str  # the one control of the catalog (nestgate/catalog.py) it makes fail
    summary: str  # one line for `testbed faults`
    detail: str  # the exact shape, and why it breaks only `control`
    compose: Callable[[Model, Testbed], None] | None = None
    tree_apply: Hook | None = None
    tree_remove: Hook | None = None
    config: Callable[[dict[str, Any], Testbed], None] | None = None
    pre_apply: Hook | None = None  # engine steps before the deploy
    post_apply: Hook | None = None  # engine steps after the stack converged
    pre_remove: Hook | None = None
    post_remove: Hook | None = None
    expect_pending: dict[str, int] = field(default_factory=dict)
    # Built services whose rollback target (PreviousSpec) this fault removes on purpose.
    no_rollback: tuple[str, ...] = ()
    # Other controls this fault breaks by nature: control ID -> why it cannot be avoided.
    also: dict[str, str] = field(default_factory=dict)

    @property
    def controls(self) -> frozenset[str]:
        """Every control this fault is declared to make fail."""
        return frozenset({self.control, *self.also})

    def describe(self) -> str:
        controls = "+".join([self.control, *self.also])
        return f"{self.name:<28} {controls:<7} {self.summary}"
