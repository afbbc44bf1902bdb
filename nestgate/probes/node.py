"""The real Node tools on the target's source tree: package.json, npm commands, module resolution."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.command import CommandResult, run
from nestgate.probes.readers.npm_output import npm_script

# No colours, no prompts, no update check or audit calls to the registry in the middle of a gate.
QUIET_ENV = {"CI": "true", "NO_COLOR": "1", "FORCE_COLOR": "0", "npm_config_color": "false",
             "npm_config_update_notifier": "false", "npm_config_fund": "false", "npm_config_audit": "false"}

# Resolves a specifier the way a consumer's code would: CommonJS require (realpath, as Node does
# by default) and ESM import (whose resolver does not check that the file exists).
_RESOLVE_JS = """
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
const spec = process.argv[1];
const out = {};
const first = (e) => String((e && e.message) || e).split("\\n")[0];
try { out.require = createRequire(process.cwd() + "/").resolve(spec); } catch (e) { out.require_error = first(e); }
try { out.import = fileURLToPath(import.meta.resolve(spec)); } catch (e) { out.import_error = first(e); }
process.stdout.write(JSON.stringify(out));
"""


@dataclass(frozen=True)
class PackageFacts:
    path: Path  # the package.json
    name: str
    scripts: dict[str, str] = field(default_factory=dict)


def read_package(directory: Path) -> PackageFacts:
    path = directory / "package.json"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvidenceUnavailable(f"no package.json in {directory}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EvidenceUnavailable(f"{path} cannot be read as JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise EvidenceUnavailable(f"{path} is not a JSON object")
    scripts = raw.get("scripts") if isinstance(raw.get("scripts"), dict) else {}
    return PackageFacts(path, str(raw.get("name") or ""), {str(k): str(v) for k, v in scripts.items()})


def run_tool(argv: list[str], cwd: Path, timeout_s: float) -> CommandResult:
    """A Node tool (npm, npx, node, tsc) in the source tree; missing program or dir = unavailable."""
    if not cwd.is_dir():
        raise EvidenceUnavailable(f"source directory {cwd} does not exist")
    return run(argv, timeout_s=timeout_s, cwd=cwd, env={**os.environ, **QUIET_ENV})


@dataclass(frozen=True)
class Resolution:
    kind: str  # "require" or "import"
    path: Path | None  # the real path of the resolved file; None when Node could not resolve it
    error: str = ""
    exists: bool = False


def resolve(consumer: Path, specifier: str, timeout_s: float) -> list[Resolution]:
    """How `specifier` resolves from `consumer` for require and for import, by Node itself."""
    try:
        result = run_tool(["node", "--input-type=module", "-e", _RESOLVE_JS, specifier], consumer, timeout_s)
    except EvidenceUnavailable as exc:  # a hung node: its reason names the command, not the script's 10 lines
        raise EvidenceUnavailable(str(exc).replace(_RESOLVE_JS, "<resolution script>")) from None
    try:
        raw = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise EvidenceUnavailable(f"node could not run the resolution check in {consumer}: "
                                  f"{result.last_error_line()}") from None
    out = []
    for kind in ("require", "import"):
        if raw.get(kind):
            real = Path(raw[kind]).resolve()
            out.append(Resolution(kind, real, exists=real.is_file()))
        else:
            out.append(Resolution(kind, None, error=str(raw.get(f"{kind}_error") or "not resolved")))
    return out


def script_package(argv: list[str], cwd: Path) -> PackageFacts | None:
    """The package.json an `npm run X` command reads its script from (its --prefix under `cwd`);
    None when the command does not run one package script (npx, node, a workspace run, ...)."""
    target = npm_script(argv)
    return read_package(cwd / target.prefix) if target is not None else None
