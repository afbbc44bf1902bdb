"""The docker CLI's own compose loader, the one `docker stack deploy` uses: `docker stack config`.

It interpolates, merges and validates the files against the CLI's schema without touching a
daemon, so it shows what a deploy would reject before anything is deployed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.command import CommandResult, run

ENV_VAR = "NESTGATE_DOCKER_CLI"


def docker_cli() -> str:
    return os.environ.get(ENV_VAR, "docker")


def stack_config(files: list[Path], cwd: Path, timeout_s: float) -> CommandResult:
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise EvidenceUnavailable(f"compose file not found: {', '.join(missing)}")
    argv = [docker_cli(), "stack", "config"]
    for f in files:
        argv += ["-c", str(f)]
    result = run(argv, timeout_s=timeout_s, cwd=cwd)
    said = (result.stderr + result.stdout).lower()
    # An older CLI (Debian's 20.10) has no `stack config`: it prints `docker stack` usage instead.
    if not result.ok and any(m in said for m in ("unknown command", "unknown shorthand flag", "not a docker command",
                                                 "usage:  docker stack [options] command")):
        raise EvidenceUnavailable(f"{docker_cli()} has no `stack config` (docker CLI 23.0 or later needed; "
                                  f"set ${ENV_VAR} to one)")
    # 126/127: the shell could not run it (a wrapper whose target is missing); < 0: killed by a signal.
    # Neither says anything about the compose file.
    if result.returncode in (126, 127) or result.returncode < 0:
        raise EvidenceUnavailable(f"{docker_cli()} could not run `stack config` (exit status {result.returncode}): "
                                  f"{result.last_error_line()}")
    return result


def every_loader_error(file: Path, cwd: Path, timeout_s: float, forbidden: Iterable[str] = (),
                       max_rounds: int = 8) -> list[str] | None:
    """Every error the stack loader finds in one compose file, in a stable order (top level, then
    services by name, then each service's keys as they are found); None when the file cannot be
    split (not a YAML mapping of services).

    The loader stops at its first schema error, and which one comes first changes from run to run:
    its JSON-schema validator walks Go maps, whose order is random. So each service is loaded alone
    (the file's other top-level keys kept, fed on stdin from the file's directory so relative paths
    resolve as before), and after each error the key it names is dropped and the service loaded
    again, until it loads or names nothing to drop. "Configuration contains forbidden properties"
    names no key: the `forbidden` keys are dropped then."""
    try:
        doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
        return None
    top = {k: v for k, v in doc.items() if k != "services"}
    errors: list[str] = []
    whole = _load_alone({**top, "services": {}}, cwd, timeout_s)
    if whole is not None:
        errors.append(whole)
    for name in sorted(doc["services"], key=str):
        spec = doc["services"][name]
        spec = dict(spec) if isinstance(spec, dict) else spec
        for _ in range(max_rounds):
            said = _load_alone({**top, "services": {name: spec}}, cwd, timeout_s)
            if said is None or said == whole:
                break
            errors.append(said if said.startswith(f"services.{name}") else f"services.{name}: {said}")
            drop = _named_key(said, str(name)) if isinstance(spec, dict) else None
            drop_all = [k for k in forbidden if k in spec] if isinstance(spec, dict) and "forbidden" in said else []
            if drop and drop in spec:
                del spec[drop]
            elif drop_all:
                for key in drop_all:
                    del spec[key]
            else:
                break
    return list(dict.fromkeys(errors))


def _named_key(said: str, service: str) -> str | None:
    """The service key an error line names: `services.app.depends_on must be a list`, `services.app
    Additional property profiles is not allowed`."""
    prefix = re.escape(f"services.{service}")
    found = re.match(rf"{prefix}(?:\.([\w-]+)| Additional property ([\w-]+) is not allowed)", said)
    return (found[1] or found[2]) if found else None


def _load_alone(doc: dict, cwd: Path, timeout_s: float) -> str | None:
    """The loader's verdict on one document fed on stdin: None when it loads, else its error line."""
    result = run([docker_cli(), "stack", "config", "-c", "-"], timeout_s=timeout_s, cwd=cwd,
                 stdin=yaml.safe_dump(doc, sort_keys=False))
    return None if result.ok else result.last_error_line()
