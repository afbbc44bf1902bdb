"""`nestgate controls`: per control ID its gate, checklist line, pass condition, test file and rules
module, read from the catalog and the collected gate suites (the one-step rule, shown)."""

from nestgate.catalog import CONTROLS
from nestgate.cli import main


def test_every_control_row_names_its_test_file_and_its_rules_module(capsys):
    assert main(["controls"]) == 0
    rows = {line.split(" | ")[0].strip("| "): line.split(" | ") for line in capsys.readouterr().out.splitlines()[2:]}
    assert sorted(rows) == sorted(CONTROLS)
    for cid, cells in rows.items():
        control = CONTROLS[cid]
        assert cells[1:4] == [control.gate, control.checklist_line, control.passes_when], cid
        test_file, rules_module = cells[5], cells[6]
        stem = f"{cid.lower().replace('-', '')}_"
        assert test_file.startswith(f"tests_{control.gate}/test_{stem}") and test_file.endswith(".py"), cells
        assert rules_module == f"nestgate/rules/{test_file.rsplit('/', 1)[1].removeprefix('test_')}", cells
        assert "`test_" in cells[7] and "case" in cells[7], cells
        # the catalog's sides (what a complete gate needs) are the sides the suite implements
        assert cells[4] == ", ".join(control.sides), (cid, cells[4], control.sides)
