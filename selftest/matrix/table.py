"""The matrix as a table an auditor can read: one row per fault, one column per control."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

LEGEND = ("cells: X failed, as declared   ! failed, NOT declared (collateral)   "
          "- declared, but passed   . passed")


@dataclass
class Row:
    fault: str
    declared: list[str]  # controls the fault declares
    failed_tests: dict[str, str] = field(default_factory=dict)  # test name -> first line of its message
    failed_controls: list[str] = field(default_factory=list)
    seconds: float = 0.0


def cell(control: str, row: Row) -> str:
    failed, declared = control in row.failed_controls, control in row.declared
    return {(True, True): "X", (True, False): "!", (False, True): "-"}.get((failed, declared), ".")


def render(rows: list[Row], controls: list[str]) -> str:
    heads = [c.replace("-0", "") for c in controls]  # SEC-01 -> SEC1: keeps 27 columns readable
    width = max([len(r.fault) for r in rows] + [5])
    lines = [LEGEND, "",
             f"{'fault':<{width}}  " + " ".join(f"{h:>4}" for h in heads) + "  seconds"]
    for row in rows:
        cells = " ".join(f"{cell(c, row):>4}" for c in controls)
        lines.append(f"{row.fault:<{width}}  {cells}  {row.seconds:7.1f}")
    return "\n".join(lines) + "\n"


def write(rows: list[Row], controls: list[str], directory: Path) -> Path:
    """Write the table (exclusivity-matrix.txt) and the rows (.json); return the table's path."""
    directory.mkdir(parents=True, exist_ok=True)
    table = directory / "exclusivity-matrix.txt"
    table.write_text(render(rows, controls), encoding="utf-8")
    (directory / "exclusivity-matrix.json").write_text(
        json.dumps({"controls": controls, "rows": [asdict(r) for r in rows]}, indent=2) + "\n", encoding="utf-8")
    return table
