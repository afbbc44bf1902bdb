"""BLD-04 rules: the critical-path test command ran at least one test, none failed, and exited 0;
an npm script that does not exist (the command's own, or one it calls) is named, not npm's noise.
The undefined-script rule is BLD-03's too."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nestgate.probes.readers.npm_output import RunnerSummary, missing_script, npm_script
from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.command import CommandResult
    from nestgate.probes.node import PackageFacts

# Failed test names quoted in the failure message; the evidence keeps more.
QUOTED_FAILING = 5


def shown(argv: list[str] | tuple[str, ...]) -> str:
    """A command as the findings name it: `npm run test:critical-path`."""
    return f"`{' '.join(argv)}`"


def undefined_script_findings(argv: list[str], package: PackageFacts | None) -> list[Finding]:
    """An `npm run X` command whose script X is not in the package.json it reads (read before the
    command runs); none when the script is defined or the command runs no package script."""
    target = npm_script(argv)
    if target is None or package is None or target.script in package.scripts:
        return []
    defined = ", ".join(sorted(package.scripts)) or "none"
    return [Finding(shown(argv), "npm script", target.script, f"defined in {package.path}",
                    says=f"npm script {target.script!r} is not defined in {package.path} (defined: {defined})")]


def critical_path_findings(argv: list[str], result: CommandResult, summary: RunnerSummary) -> list[Finding]:
    """What went wrong with a run, first cause only: a script it calls is not defined, it exited
    non-zero, it exited 0 but reports failed tests, or it exited 0 having run no test."""
    subject = shown(argv)
    nested = missing_script(result.stdout + result.stderr)
    if not result.ok and nested:
        return [Finding(subject, "npm script", nested, "defined",
                        says=f"calls npm script {nested!r}, which is not defined")]
    counts = f"{summary.failed} of {summary.tests} test(s) failed" if summary.known else "no test summary printed"
    failing = f": {'; '.join(summary.failing[:QUOTED_FAILING])}" if summary.failing else ""
    if not result.ok:
        # The runner's last line only helps when no failing test is named (a TAP timing comment otherwise).
        last = "" if summary.failing else f" (last line: {result.last_error_line()})"
        return [Finding(subject, "exit_status", result.returncode, 0,
                        says=f"exited {result.returncode}, {counts}{failing}{last}")]
    if summary.failed:
        return [Finding(subject, "failed_tests", summary.failed, 0, says=f"exited 0 but reports {counts}{failing}")]
    if summary.tests == 0:
        return [Finding(subject, "tests_run", 0, ">= 1", says="exited 0 but ran no tests")]
    return []
