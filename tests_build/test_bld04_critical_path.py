"""BLD-04 — All critical authentication tests passing (`npm run test:critical-path`).

The configured critical-path command must exit 0 having run at least one test, none failed. An npm
script that does not exist fails naming it (read from package.json first, and from npm's own error
when a script calls another one), not with npm's noise.
"""

import pytest

from nestgate.config.build import BACKSTOP_S
from nestgate.probes.node import run_tool, undefined_script
from nestgate.probes.readers.npm_output import missing_script, runner_summary

# The config's own timeouts bound this control (images.timeout_s, command_timeout_s); the
# suite-wide pytest-timeout (300 s) would cut a real MediaNest build short, so it only backstops.
pytestmark = [pytest.mark.build, pytest.mark.declared, pytest.mark.timeout(BACKSTOP_S)]


@pytest.mark.control("BLD-04")
def test_critical_path_tests_pass(target_config, evidence):
    build = target_config.model.build
    argv = build.critical_path_command
    shown = " ".join(argv)
    cwd = target_config.project_dir / build.source_dir
    evidence.source(f"`{shown}` in {cwd}")
    evidence.limit(exit_status=0, failed_tests=0, tests_run=">= 1")
    why = undefined_script(argv, cwd)
    assert not why, f"`{shown}`: {why}"

    result = run_tool(argv, cwd, build.command_timeout_s)
    summary = runner_summary(result.stdout + "\n" + result.stderr)
    evidence.measure(exit_status=result.returncode, seconds=round(result.duration_s, 1), tests=summary.tests,
                     passed=summary.passed, failed=summary.failed, failing=summary.failing[:20])
    nested = missing_script(result.stdout + result.stderr)
    assert result.ok or not nested, f"`{shown}` calls npm script {nested!r}, which is not defined"
    counts = f"{summary.failed} of {summary.tests} test(s) failed" if summary.known else "no test summary printed"
    failing = f": {'; '.join(summary.failing[:5])}" if summary.failing else ""
    assert result.ok, f"`{shown}` exited {result.returncode}, {counts}{failing} (last line: {result.last_error_line()})"
    assert not summary.failed, f"`{shown}` exited 0 but reports {counts}{failing}"
    assert summary.tests != 0, f"`{shown}` exited 0 but ran no tests"
