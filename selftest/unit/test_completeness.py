"""A GO means every control of the gate ran its body, saw evidence and passed, for every subject:
each way of running less than that (issue 14, cases 1 and 2) ends NO-GO, naming what did not run.
Real in-process pytest sessions of a complete small gate."""

import pytest

from selftest.stub_controls import stub_tests

CONFIG = '[target]\nservices = ["app", "db"]\n'
SEC04 = ('import pytest\nfrom nestgate.gate.params import each_service\n'
         '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-04", service=each_service)\n'
         'def test_hardening(service, evidence):\n'
         '    evidence.source("stub"); evidence.measure(service=service)\n')


@pytest.fixture
def gate(pytester):
    pytester.makefile(".toml", nestgate=CONFIG)
    pytester.mkdir("tests_security")
    (pytester.path / "tests_security" / "test_sec04.py").write_text(SEC04)
    rest = stub_tests("security", without=[("SEC-04", "runtime")])
    (pytester.path / "tests_security" / "test_rest.py").write_text(rest)
    return pytester


def _no_go(result, *fragments):
    assert result.ret == pytest.ExitCode.TESTS_FAILED, result.stdout.str()
    result.stdout.fnmatch_lines(["security     NO-GO *"])
    verdict = result.stdout.str().split("nestgate verdict")[-1]
    for fragment in fragments:
        assert fragment in verdict, verdict


def test_the_complete_gate_is_go(gate):
    result = gate.runpytest("-m", "security", "--no-nestgate-report")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["security     GO     passed 11, failed 0, errors 0, waived 0, not run 0  (*"])


@pytest.mark.parametrize("option", ["--setup-plan", "--setup-only"])
def test_setup_only_runs_no_body_and_is_no_go(gate, option):
    _no_go(gate.runpytest("-m", "security", option, "--no-nestgate-report"),
           "incomplete: did not run (--setup-only/--setup-plan run no test body): SEC-01 (declared)")


def test_setup_plan_from_the_environment_is_no_go(gate, monkeypatch):
    monkeypatch.setenv("PYTEST_ADDOPTS", "--setup-plan")
    _no_go(gate.runpytest("-m", "security", "--no-nestgate-report"), "not run 11")


def test_a_keyword_narrowed_run_is_no_go_naming_the_deselected(gate):
    _no_go(gate.runpytest("-m", "security", "-k", "not runtime", "--no-nestgate-report"),
           "incomplete: deselected: SEC-02 (runtime), SEC-03 (runtime), SEC-04[app] (runtime), "
           "SEC-04[db] (runtime), SEC-05 (runtime)")


def test_one_deselected_subject_is_no_go(gate):
    _no_go(gate.runpytest("-m", "security", "--deselect", "tests_security/test_sec04.py::test_hardening[SEC-04[db]]",
                          "--no-nestgate-report"),
           "passed 10,", "not run 1", "incomplete: deselected: SEC-04[db] (runtime)")


def test_a_single_file_is_never_go(gate):
    _no_go(gate.runpytest("tests_security/test_sec04.py", "--no-nestgate-report"),
           "incomplete: SEC-01 (declared) not collected; SEC-02 (declared) not collected; "
           "SEC-02 (runtime) not collected")


def test_a_side_only_run_names_its_coverage(gate):
    result = gate.runpytest("-m", "security and declared", "--no-nestgate-report")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["security     GO, declared side only passed 4,*"])


def test_a_conftest_that_drops_a_subject_is_no_go(gate):
    (gate.path / "conftest.py").write_text(
        "def pytest_collection_modifyitems(items):\n"
        "    items[:] = [i for i in items if 'SEC-04[db]' not in i.nodeid]\n")
    _no_go(gate.runpytest("-m", "security", "--no-nestgate-report"), "incomplete: did not run: SEC-04[db] (runtime)")


def test_a_pass_without_evidence_fails(gate):
    (gate.path / "tests_security" / "test_sec04.py").write_text(
        SEC04.replace('evidence.source("stub"); evidence.measure(service=service)', "assert service"))
    result = gate.runpytest("-m", "security", "--no-nestgate-report")
    _no_go(result, "failed 2")
    result.stdout.fnmatch_lines(["*SEC-04: recorded no evidence (a pass needs at least one source and one "
                                 "measurement)*"])


def test_under_xdist_the_workers_ledger_reaches_the_verdict(gate):
    result = gate.runpytest_subprocess("-m", "security", "-n", "2", "--no-nestgate-report")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["security     GO     passed 11,*"])
    result = gate.runpytest_subprocess("-m", "security", "-n", "2", "-k", "not db", "--no-nestgate-report")
    _no_go(result, "incomplete: deselected: SEC-04[db] (runtime)")


def test_the_evidence_names_every_plugin_conftest_and_pytest_variable(gate, monkeypatch):
    import json

    (gate.path / "conftest.py").write_text("# a conftest could hook into the run: it is on record\n")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-q")
    result = gate.runpytest_subprocess("-m", "security")
    assert result.ret == 0, result.stdout.str()
    [bundle] = (gate.path / "reports").iterdir()
    run = json.loads((bundle / "evidence.json").read_text())["run"]
    assert any(p.endswith(f"{gate.path}/conftest.py") for p in run["plugins"]), run["plugins"]
    assert any(p.startswith("nestgate: ") for p in run["plugins"])
    assert run["pytest_environment"]["PYTEST_ADDOPTS"] == "-q"


def test_python_optimize_is_refused(gate, monkeypatch):
    monkeypatch.setenv("PYTHONOPTIMIZE", "1")
    result = gate.runpytest_subprocess("-m", "security", "--no-nestgate-report")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "strips assert statements the gate relies on" in result.stderr.str()


def test_other_tests_named_like_controls_are_no_gate_run_even_under_xdist(pytester):
    # a project's own tests may carry control IDs in their names: they are not gate tests
    pytester.makepyfile(test_mine='import pytest\n@pytest.mark.parametrize("cid", ["SEC-01", "INF-04"])\n'
                                  'def test_id_shapes(cid): assert cid\n')
    for extra in ([], ["-n", "2"]):
        result = pytester.runpytest_subprocess(*extra)
        assert result.ret == 0, result.stdout.str()
        assert "nestgate verdict" not in result.stdout.str()
