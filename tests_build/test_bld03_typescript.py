"""BLD-03 — TypeScript compilation passes without blocking errors (`npm run typecheck`).

Each configured type-check command (MediaNest: the root `typecheck` script, `tsc --noEmit` in each
package) must exit 0; the compiler's `error TSnnnn` diagnostics are counted and recorded, and any
error blocks, whatever the exit status says.
"""

import pytest

from nestgate.config.build import BACKSTOP_S
from nestgate.probes.node import run_tool, script_package
from nestgate.probes.readers.tsc_output import parse_errors
from nestgate.rules.bld03_typescript import configured_findings, typecheck_findings
from nestgate.rules.bld04_critical_path import undefined_script_findings

# The config's own timeouts bound this control (images.timeout_s, command_timeout_s); the
# suite-wide pytest-timeout (300 s) would cut a real MediaNest build short, so it only backstops.
pytestmark = [pytest.mark.build, pytest.mark.declared, pytest.mark.timeout(BACKSTOP_S)]
# Errors the evidence keeps per command.
KEPT = 50


@pytest.mark.control("BLD-03")
def test_typecheck_commands_pass_with_no_errors(target_config, evidence):
    build = target_config.model.build
    cwd = target_config.project_dir / build.source_dir
    evidence.limit(exit_status=0, typescript_errors=0)
    evidence.require(configured_findings(build.typecheck_commands))

    found, results = [], {}
    for argv in build.typecheck_commands:
        shown = " ".join(argv)
        evidence.source(f"`{shown}` in {cwd}")
        if undefined := undefined_script_findings(argv, script_package(argv, cwd)):
            found += undefined
            results[shown] = {"undefined_script": undefined[0].sentence}
            continue
        result = run_tool(argv, cwd, build.command_timeout_s)
        errors = parse_errors(result.stdout + "\n" + result.stderr)
        results[shown] = {"exit_status": result.returncode, "typescript_errors": len(errors),
                          "seconds": round(result.duration_s, 1), "errors": [str(e) for e in errors[:KEPT]]}
        found += typecheck_findings(argv, result, errors)
    evidence.measure(commands=results,
                     typescript_errors=sum(r.get("typescript_errors", 0) for r in results.values()))
    found = evidence.judge(found)
    assert not found, found.message
