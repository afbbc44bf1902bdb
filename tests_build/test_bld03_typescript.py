"""BLD-03 — TypeScript compilation passes without blocking errors (`npm run typecheck`).

Each configured type-check command (MediaNest: the root `typecheck` script, `tsc --noEmit` in each
package) must exit 0; the compiler's `error TSnnnn` diagnostics are counted and recorded, and any
error blocks, whatever the exit status says.
"""

import pytest

from nestgate.config.build import BACKSTOP_S
from nestgate.probes.node import run_tool, undefined_script
from nestgate.probes.readers.npm_output import missing_script
from nestgate.probes.readers.tsc_output import parse_errors

# The config's own timeouts bound this control (images.timeout_s, command_timeout_s); the
# suite-wide pytest-timeout (300 s) would cut a real MediaNest build short, so it only backstops.
pytestmark = [pytest.mark.build, pytest.mark.declared, pytest.mark.timeout(BACKSTOP_S)]
# Errors quoted in the failure message; the evidence keeps more.
QUOTED, KEPT = 3, 50


@pytest.mark.control("BLD-03")
def test_typecheck_commands_pass_with_no_errors(target_config, evidence):
    build = target_config.model.build
    cwd = target_config.project_dir / build.source_dir
    evidence.limit(exit_status=0, typescript_errors=0)
    assert build.typecheck_commands, "no type-check command configured (build.typecheck_commands is empty)"

    failures, results = [], {}
    for argv in build.typecheck_commands:
        shown = " ".join(argv)
        evidence.source(f"`{shown}` in {cwd}")
        if why := undefined_script(argv, cwd):
            failures.append(f"`{shown}`: {why}")
            results[shown] = {"undefined_script": why}
            continue
        result = run_tool(argv, cwd, build.command_timeout_s)
        errors = parse_errors(result.stdout + "\n" + result.stderr)
        results[shown] = {"exit_status": result.returncode, "typescript_errors": len(errors),
                          "seconds": round(result.duration_s, 1), "errors": [str(e) for e in errors[:KEPT]]}
        if errors:
            failures.append(f"`{shown}` reports {len(errors)} TypeScript error(s) (exit status {result.returncode}): "
                            + "; ".join(str(e) for e in errors[:QUOTED]) + (" ..." if len(errors) > QUOTED else ""))
        elif not result.ok:
            nested = missing_script(result.stdout + result.stderr)
            why = f"it calls npm script {nested!r}, which is not defined" if nested else result.last_error_line()
            failures.append(f"`{shown}` exited {result.returncode} with no TypeScript error: {why}")
    evidence.measure(commands=results,
                     typescript_errors=sum(r.get("typescript_errors", 0) for r in results.values()))
    assert not failures, "; ".join(failures)
