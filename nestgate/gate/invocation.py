"""How nestgate starts a gate's pytest (the deploy wrapper, a watch round): nothing but nestgate
decides what that run loads, selects or skips.

- Plugins load explicitly (`-p` for each, PYTEST_DISABLE_PLUGIN_AUTOLOAD=1): a package installed in
  the same environment cannot hook into the gate.
- Environment that changes what pytest or Python runs is refused, one line naming the variables:
  PYTEST_ADDOPTS (options such as --setup-plan or -k), PYTEST_PLUGINS, PYTHONPATH, PYTHONSTARTUP,
  PYTHONOPTIMIZE (strips asserts) and every other PYTEST_*/PYTHON* variable not known harmless.
  Variables an enclosing pytest sets about itself (PYTEST_CURRENT_TEST, PYTEST_XDIST_WORKER, ...)
  are removed from the child. $NESTGATE_CONFIG and $NESTGATE_WAIVERS are resolved by the caller
  and passed as options, so the child never reads them; other NESTGATE_* variables pass and are
  recorded.
- Extra pytest arguments are allowed only when they change what is shown, never what runs:
  verbosity, tracebacks, durations, colour, live logs, a longer per-test timeout.
Everything decided here is returned as a record for deploy.json and the evidence.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nestgate.errors import NestgateError

# The plugins a gate run needs, by module: what their pytest11 entry points name.
PLUGINS = ("nestgate.gate.plugin", "xdist.plugin", "xdist.looponfail", "pytest_html.plugin",
           "pytest_metadata.plugin", "pytest_timeout")
# Known not to change what runs or how it is judged.
HARMLESS_ENV = frozenset({
    "PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONUTF8", "PYTHONDONTWRITEBYTECODE", "PYTHONHASHSEED",
    "PYTHONFAULTHANDLER", "PYTHONNOUSERSITE", "PYTHONPYCACHEPREFIX", "PYTHONCOERCECLOCALE",
    "PYTEST_THEME", "PYTEST_THEME_MODE", "PYTEST_XDIST_AUTO_NUM_WORKERS", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"})
# Set by an enclosing pytest about itself (nestgate run from a test): removed from the child.
OUTER_PYTEST_ENV = frozenset({"PYTEST_CURRENT_TEST", "PYTEST_VERSION", "PYTEST_XDIST_WORKER",
                              "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"})
RESOLVED_BY_CALLER = frozenset({"NESTGATE_CONFIG", "NESTGATE_WAIVERS"})
# Extra pytest arguments that only change what is shown ("--opt" or "--opt=value").
_SHOWN_ONLY = re.compile(r"-v+|-q+|--verbose|--quiet|-r[a-zA-Z]*|--tb=(auto|long|short|line|native|no)|-l|"
                         r"--showlocals|--durations=\d+|--durations-min=[\d.]+|--color=(yes|no|auto)|--no-header|"
                         r"--no-summary|--log-cli-level=\w+|--log-level=\w+|--timeout=\d+(\.\d+)?")


class GateInvocationError(NestgateError):
    """The gate's pytest would not run as nestgate decides: a usage error, nothing runs."""


@dataclass
class Invocation:
    env: dict[str, str]
    record: dict[str, Any] = field(default_factory=dict)


def gate_environment(environ: Mapping[str, str]) -> Invocation:
    """The child's environment, or GateInvocationError naming every variable that would change the gate."""
    refused = sorted(k for k in environ if re.match(r"PYTEST_|PYTHON", k)
                     and k not in HARMLESS_ENV and k not in OUTER_PYTEST_ENV)
    if refused:
        raise GateInvocationError(
            f"{', '.join('$' + k for k in refused)} would change what the gate's pytest loads or runs: unset "
            f"{'it' if len(refused) == 1 else 'them'} (nestgate chooses the gate's plugins and options itself)")
    removed = sorted(k for k in environ if k in OUTER_PYTEST_ENV or k in RESOLVED_BY_CALLER)
    env = {k: v for k, v in environ.items() if k not in removed}
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    passed = sorted(k for k in env if k.startswith("NESTGATE_"))
    return Invocation(env, {"plugins": list(PLUGINS), "plugin_autoload": False, "removed_from_environment": removed,
                            "nestgate_environment": passed})


def check_extra_args(args: list[str]) -> None:
    """Refuse an extra pytest argument that could narrow the selection or change how controls run."""
    bad = [a for a in args if not _SHOWN_ONLY.fullmatch(a)]
    if bad:
        raise GateInvocationError(
            f"--pytest-arg {' '.join(bad)}: not allowed: only arguments that change what is shown may be passed "
            "(-v, -q, -r..., --tb=, --durations=, --color=, --no-header, --no-summary, --log-cli-level=, "
            "--log-level=, -l, --timeout=N); the gates, sides and controls are the wrapper's own options")


def gate_argv(*args: str) -> list[str]:
    """`python -m pytest` with nestgate's plugins loaded explicitly, then `args`."""
    plugins = [a for name in PLUGINS for a in ("-p", name)]
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *plugins, *args]
