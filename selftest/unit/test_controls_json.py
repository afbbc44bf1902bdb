"""`nestgate controls --json` and `nestgate kpi --json`: the same data as the table and the KPI page,
for scripts. The control table is collected from the real suites; the KPIs come from a real SQLite
watch history in a temp file."""

from __future__ import annotations

import json
import time

import pytest

from nestgate.catalog import CONTROLS
from nestgate.cli import PROJECT_ROOT, main
from nestgate.errors import NestgateError
from nestgate.gate.controls_table import implemented
from nestgate.watch.history import History, Sample

CONFIG = PROJECT_ROOT / "nestgate.toml"


def test_controls_json_is_one_object_per_catalog_control_with_its_test_node_ids(capsys):
    assert main(["controls", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in records] == list(CONTROLS)
    for r in records:
        control = CONTROLS[r["id"]]
        assert (r["gate"], r["checklist_line"], r["passes_when"]) == (control.gate, control.checklist_line,
                                                                      control.passes_when)
        assert r["sides"] == list(control.sides) == r["implemented_sides"], r
        assert r["status"] == "implemented", r
        (test_file,) = r["test_files"]
        assert r["rules_modules"] == [f"nestgate/rules/{test_file.rsplit('/', 1)[1].removeprefix('test_')}"]
        assert r["tests"] and r["node_ids"], r
        for node_id in r["node_ids"]:  # pytest node IDs, runnable as given: file::function[CONTROL...]
            path, name = node_id.split("::")
            assert path == test_file and name.split("[")[0] in r["tests"] and f"[{r['id']}" in name, node_id


def test_the_table_lists_each_controls_tests(capsys):
    assert main(["controls"]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    sec04 = next(row for row in rows if row.startswith("| SEC-04 |"))
    assert "`test_running_hardening`" in sec04 and "`test_declared_hardening`" in sec04, sec04


def test_a_suite_that_does_not_collect_is_an_error_not_a_table_of_not_implemented(tmp_path):
    (tmp_path / "tests_security").mkdir()
    (tmp_path / "tests_security" / "test_sec04_x.py").write_text(
        'import pytest\n@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-04")\n'
        "def test_x(evidence):\n    pass\n")  # a nestgate suite, but no target config beside it
    with pytest.raises(NestgateError, match=r"collecting the gate suites under .* failed \(pytest exit 4\)"):
        implemented(tmp_path, None)


@pytest.fixture
def history(tmp_path):
    h = History(tmp_path / "history.sqlite")
    now = time.time()
    for i in range(20):
        h.add_samples(now - 600 + i * 30, [Sample("http.ok", "/health", 1.0 if i != 3 else 0.0),
                                           Sample("http.response_s", "/health", 0.05 if i != 3 else -1.0),
                                           Sample("service.up", "app", 1.0)])
    h.close()
    return tmp_path / "history.sqlite"


def test_kpi_json_is_the_data_of_the_table(history, tmp_path, capsys):
    args = ["kpi", f"--target-config={CONFIG}", f"--history={history}", f"--reports={tmp_path / 'none'}"]
    code_table = main([*args, f"--out={tmp_path / 'a.html'}"])
    table = capsys.readouterr().out.splitlines()
    code_json = main([*args, f"--out={tmp_path / 'b.html'}", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code_json == code_table == (0 if data["all_met"] else 1)
    assert data["page"] == str(tmp_path / "b.html") and (tmp_path / "b.html").is_file()
    assert set(data) >= {"since", "until", "rows", "latency", "memory_percent", "log_errors_per_minute", "target"}
    # one JSON row per table row, with the same KPI, subject, measured value and verdict
    body = [line.split() for line in table[1:] if line.strip() and not line.startswith(("ALL KPIs", "KPIs NOT"))]
    assert len(body) == len(data["rows"]) > 0
    for row in data["rows"]:
        assert {"kpi", "subject", "measured", "target", "verdict", "detail", "value"} <= set(row), row
        assert any(row["verdict"].upper().split()[0] in line for line in table), row
    health = next(r for r in data["rows"] if r["kpi"] == "availability" and r["subject"] == "/health")
    assert health["value"] == pytest.approx(95.0) and health["verdict"] == "not met", health  # 19 of 20 answered
    line = next(line for line in table if line.startswith("availability") and " /health " in line)
    assert health["measured"] in line and health["target"] in line, (health, line)
