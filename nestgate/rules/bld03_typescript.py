"""BLD-03 rules: at least one type-check command is configured, and each one exits 0 with no
`error TSnnnn` diagnostic (any error blocks, whatever the exit status says)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from nestgate.probes.readers.npm_output import missing_script
from nestgate.probes.readers.tsc_output import TscError
from nestgate.rules.bld04_critical_path import shown
from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.command import CommandResult

# Errors quoted in the failure message; the evidence keeps more.
QUOTED = 3


def configured_findings(commands: Sequence[Sequence[str]]) -> list[Finding]:
    """No type-check command configured is nothing checked, never a pass."""
    if commands:
        return []
    return [Finding("no type-check command configured", "build.typecheck_commands", [], "at least 1 command",
                    says="build.typecheck_commands is empty")]


def typecheck_findings(argv: list[str], result: CommandResult, errors: Sequence[TscError]) -> list[Finding]:
    """The compiler's errors (counted, the first ones quoted); else a non-zero exit, with why: a
    script the command calls that is not defined, or the tool's last error line."""
    if errors:
        quoted = "; ".join(str(e) for e in errors[:QUOTED]) + (" ..." if len(errors) > QUOTED else "")
        return [Finding(f"{shown(argv)} reports {len(errors)} TypeScript error(s) (exit status {result.returncode})",
                        "typescript_errors", len(errors), 0, says=quoted)]
    if not result.ok:
        nested = missing_script(result.stdout + result.stderr)
        why = f"it calls npm script {nested!r}, which is not defined" if nested else result.last_error_line()
        return [Finding(f"{shown(argv)} exited {result.returncode} with no TypeScript error", "exit_status",
                        result.returncode, 0, says=why)]
    return []
