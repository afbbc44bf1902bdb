"""BLD-04 — All critical authentication tests passing (`npm run test:critical-path`).

The configured critical-path command must exit 0 having run at least one test, none failed. An npm
script that does not exist fails naming it (read from package.json first, and from npm's own error
when a script calls another one), not with npm's noise.
"""

import pytest

from nestgate.config.build import BACKSTOP_S
from nestgate.probes.node import run_tool, script_package
from nestgate.probes.readers.npm_output import runner_summary
from nestgate.rules.bld04_critical_path import critical_path_findings, undefined_script_findings

# The config's own timeouts bound this control (images.timeout_s, command_timeout_s); the
# suite-wide pytest-timeout (300 s) would cut a real MediaNest build short, so it only backstops.
pytestmark = [pytest.mark.build, pytest.mark.declared, pytest.mark.timeout(BACKSTOP_S)]


@pytest.mark.control("BLD-04")
def test_critical_path_tests_pass(target_config, evidence):
    build = target_config.model.build
    argv = build.critical_path_command
    cwd = target_config.project_dir / build.source_dir
    evidence.source(f"`{' '.join(argv)}` in {cwd}")
    evidence.limit(exit_status=0, failed_tests=0, tests_run=">= 1")
    evidence.require(undefined_script_findings(argv, script_package(argv, cwd)))

    result = run_tool(argv, cwd, build.command_timeout_s)
    summary = runner_summary(result.stdout + "\n" + result.stderr)
    evidence.measure(exit_status=result.returncode, seconds=round(result.duration_s, 1), tests=summary.tests,
                     passed=summary.passed, failed=summary.failed, failing=summary.failing[:20])
    found = evidence.judge(critical_path_findings(argv, result, summary))
    assert not found, found.message
