"""The plugin is installed for every pytest in the environment: in a project that is not a nestgate
suite it must do nothing (issue 18): no verdict, no bundle, no -m check, no change to outcomes or to
the exit status. Real pytest sessions of small unrelated projects, with the plugin loaded as always."""

from __future__ import annotations

import pytest

UNRELATED = '''
import pytest

@pytest.mark.slow
def test_slow():
    pass

def test_fast():
    pass

@pytest.mark.build  # a common marker name, also one of nestgate's gates
def test_skips_as_it_likes():
    pytest.skip("not on this platform")
'''


@pytest.fixture
def project(pytester, monkeypatch):
    monkeypatch.delenv("NESTGATE_CONFIG", raising=False)
    monkeypatch.delenv("NESTGATE_WAIVERS", raising=False)
    pytester.makeini("[pytest]\naddopts = --strict-markers\nmarkers =\n    slow: slow tests\n    build: packaging\n")
    pytester.makepyfile(test_things=UNRELATED)
    return pytester


def _untouched(result, path):
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.OK, out
    for trace in ("nestgate verdict", "nestgate target", "GO", "evidence", "unknown marker"):
        assert trace not in out, (trace, out)
    assert not (path / "reports").exists()  # no evidence bundle


def test_an_unrelated_project_runs_its_own_markers(project):
    result = project.runpytest("-m", "not slow")
    result.assert_outcomes(passed=1, skipped=1, deselected=1)
    _untouched(result, project.path)


def test_a_marker_registered_by_the_projects_conftest(project):
    # the reported case: `slow` known only once the project's own pytest_configure ran
    project.makeini("[pytest]\n")
    project.makeconftest('def pytest_configure(config):\n    config.addinivalue_line("markers", "slow: slow")\n')
    result = project.runpytest_subprocess("-m", "not slow")
    result.assert_outcomes(passed=1, skipped=1, deselected=1)
    _untouched(result, project.path)


def test_a_gate_name_as_marker_selects_the_projects_tests_only(project):
    result = project.runpytest("-m", "build")  # no gate scope: nothing is "not run", no NO-GO
    result.assert_outcomes(skipped=1, deselected=2)
    _untouched(result, project.path)


def test_a_marker_the_project_never_registered_is_pytest_s_business(project):
    project.makeini("[pytest]\n")
    result = project.runpytest("-m", "not nightly")
    result.assert_outcomes(passed=2, skipped=1)
    _untouched(result, project.path)


def test_a_nestgate_suite_collected_without_a_target_config_still_stops(project):
    project.makepyfile(test_things="def test_fast():\n    pass\n")
    (project.path / "test_gate.py").write_text(
        'import pytest\n@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-04")\n'
        'def test_hardening(evidence):\n    evidence.source("x"); evidence.measure(x=1)\n')
    result = project.runpytest("-m", "not slow")
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    assert "target config not found" in result.stderr.str() + result.stdout.str()


def test_a_target_config_makes_it_a_nestgate_run(project):
    project.makepyfile(test_things="def test_fast():\n    pass\n")
    project.makefile(".toml", nestgate='[target]\nservices = ["app"]\n')
    result = project.runpytest("-m", "security", "--no-nestgate-report")
    # a nestgate run: the gate is judged, and with no control of it run that is NO-GO (fail closed)
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout.str()  # never 0
    result.stdout.fnmatch_lines(["*nestgate verdict*", "security     NO-GO *no control ran*"])
