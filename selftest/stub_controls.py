"""The rest of a complete gate, for self-tests that exercise one control in a small suite.

A gate is GO only when every control of the catalog ran on each of its sides (nestgate.gate.coverage),
so a suite that tests one control's behaviour also needs every other control: each stub below
records a source and a measurement and passes, as a real control does on a clean stack.
"""

from __future__ import annotations

import datetime as dt

from nestgate.catalog import controls_of

# A waiver expiry within the default cap (waivers.max_days = 90).
SOON = (dt.date.today() + dt.timedelta(days=30)).isoformat()


def stub_tests(*gates: str, without: tuple[tuple[str, str], ...] | tuple[str, ...] = ()) -> str:
    """Python source of one passing stub test per (control, side) of these gates, except those in
    `without` (control IDs, or (control, side) pairs)."""
    lines = ["import pytest", ""]
    for gate in gates:
        for control in controls_of(gate):
            for side in control.sides:
                if control.id in without or (control.id, side) in without:
                    continue
                name = f"test_stub_{control.id.replace('-', '_').lower()}_{side}"
                lines += [f"@pytest.mark.{gate}", f"@pytest.mark.{side}", f'@pytest.mark.control("{control.id}")',
                          f"def {name}(evidence):",
                          f'    evidence.source("stub of {control.id} ({side})")',
                          "    evidence.measure(stub=True)", "", ""]
    return "\n".join(lines)
