"""A watch round's selection on real (in-process) pytest sessions: only the chosen controls run, an
unknown ID is a usage error, and a selection that leaves nothing is pytest's exit 5 (a failed round)."""

import pytest

from nestgate.watch.rounds import Selection

BODY = '(evidence):\n    evidence.source("s")\n    evidence.measure(n=1)\n'
SECURITY = ('import pytest\n'
            '@pytest.mark.security\n@pytest.mark.declared\n@pytest.mark.control("SEC-04")\ndef test_s' + BODY +
            '@pytest.mark.security\n@pytest.mark.runtime\n@pytest.mark.control("SEC-02")\ndef test_r' + BODY)
INFRA = ('import pytest\n'
         '@pytest.mark.infra\n@pytest.mark.runtime\n@pytest.mark.control("INF-04")\ndef test_i' + BODY +
         '@pytest.mark.infra\n@pytest.mark.declared\n@pytest.mark.control("INF-06")\ndef test_j' + BODY +
         '@pytest.mark.infra\n@pytest.mark.runtime\n@pytest.mark.control("INF-06")\ndef test_k' + BODY)


@pytest.fixture
def suite(pytester):
    pytester.makefile(".toml", nestgate='[target]\nservices = ["app"]\n')
    for gate, body in (("security", SECURITY), ("infra", INFRA)):
        pytester.mkdir(f"tests_{gate}")
        (pytester.path / f"tests_{gate}" / f"test_{gate}.py").write_text(body)
    return pytester


def test_the_selection_runs_only_its_controls(suite):
    sel = Selection(["INF-04"])
    assert sel.pytest_args() == ["-m", "infra", "--nestgate-controls=INF-04"]
    result = suite.runpytest(*sel.pytest_args(), "--no-nestgate-report")
    assert result.ret == 0
    result.assert_outcomes(passed=1, deselected=4)
    result.stdout.fnmatch_lines(["infra        GO, controls INF-04 only passed 1,*"])


def test_gates_come_from_the_controls_and_a_marker_narrows_them(suite):
    sel = Selection(["SEC-04", "INF-06"], marker="declared")
    assert sel.mark_expression == "(security or infra) and (declared)"
    result = suite.runpytest(*sel.pytest_args(), "--no-nestgate-report")
    assert result.ret == 0
    result.assert_outcomes(passed=2, deselected=3)
    result.stdout.fnmatch_lines(["security     GO, controls SEC-04 only; declared side only passed 1,*"])


def test_an_unknown_control_id_is_a_usage_error(suite):
    result = suite.runpytest("-m", "infra", "--nestgate-controls=INF-04,INF-99", "--no-nestgate-report")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "INF-99" in result.stderr.str()


def test_a_marker_that_leaves_nothing_selected_is_exit_5(suite):
    result = suite.runpytest(*Selection(["INF-04"], marker="declared").pytest_args(), "--no-nestgate-report")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED
