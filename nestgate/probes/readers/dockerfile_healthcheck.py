"""The HEALTHCHECK a Dockerfile gives the image it builds (BLD-05), read without building it.

Parsing is BuildKit's own (the `dockerfile` package wraps moby/buildkit's Go parser): line
continuations, comments, escape directives and JSON vs shell form mean exactly what they mean to
`docker build`. What this module adds is the build semantics the parser leaves out: which stage is
built (`target`, else the last), and that a stage inherits the HEALTHCHECK of the stage it is
`FROM`. The result has the shape of the engine's `Config.Healthcheck` (Test, Interval in ns, ...),
so the image reader `image_check` reads both alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dockerfile

from nestgate.probes.readers.health_log import go_duration_s

_OPTIONS = {"--interval": "Interval", "--timeout": "Timeout", "--start-period": "StartPeriod",
            "--start-interval": "StartInterval", "--retries": "Retries"}


class DockerfileError(ValueError):
    """The Dockerfile cannot be read as the build would read it (one line, names the place)."""


@dataclass(frozen=True)
class Stage:
    name: str  # `AS name`, else its index as a string (how `--from=0` names it)
    base: str  # the FROM argument: an image or an earlier stage
    healthcheck: dict[str, Any] | None  # this stage's own last HEALTHCHECK; None when it has none
    line: int  # the HEALTHCHECK's line, else the FROM's


@dataclass(frozen=True)
class StageHealth:
    """The HEALTHCHECK of the stage that is built: its own, inherited, or none in this file."""

    stage: str
    healthcheck: dict[str, Any] | None  # engine shape; None: no stage of the chain has one
    line: int | None  # where it is declared
    chain: list[str] = field(default_factory=list)  # the stages walked, built stage first
    base_image: str | None = None  # the external image the chain starts FROM (may carry its own)


def _healthcheck(cmd: Any) -> dict[str, Any]:
    """One HEALTHCHECK instruction in the engine's Config.Healthcheck shape."""
    value = list(cmd.value)
    if value and value[0].upper() == "NONE":
        return {"Test": ["NONE"]}
    if not value or value[0].upper() != "CMD" or len(value) < 2:
        raise DockerfileError(f"line {cmd.start_line}: HEALTHCHECK needs CMD or NONE")
    test = ["CMD", *value[1:]] if cmd.json else ["CMD-SHELL", " ".join(value[1:])]
    check: dict[str, Any] = {"Test": test}
    for flag in cmd.flags:
        key, _, raw = flag.partition("=")
        if key not in _OPTIONS:
            raise DockerfileError(f"line {cmd.start_line}: HEALTHCHECK has an unknown option {key}")
        try:
            check[_OPTIONS[key]] = int(raw) if key == "--retries" else int(go_duration_s(raw) * 1e9)
        except ValueError:
            raise DockerfileError(f"line {cmd.start_line}: HEALTHCHECK {key}={raw} is not valid") from None
    return check


def stages(text: str) -> list[Stage]:
    """The build stages of a Dockerfile, in order."""
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as exc:
        raise DockerfileError(f"not a valid Dockerfile: {exc}") from None
    found: list[Stage] = []
    for cmd in commands:
        if cmd.cmd == "FROM":
            args = list(cmd.value)
            name = args[2] if len(args) >= 3 and args[1].upper() == "AS" else str(len(found))
            found.append(Stage(name, args[0] if args else "", None, cmd.start_line))
        elif cmd.cmd == "HEALTHCHECK":
            if not found:
                raise DockerfileError(f"line {cmd.start_line}: HEALTHCHECK before any FROM")
            last = found[-1]
            found[-1] = Stage(last.name, last.base, _healthcheck(cmd), cmd.start_line)
    if not found:
        raise DockerfileError("no FROM instruction")
    return found


def stage_health(text: str, target: str | None = None) -> StageHealth:
    """The HEALTHCHECK the built stage (`target`, else the last) ends up with: the last one in that
    stage, else the one of the earlier stage it is FROM, and so on up the chain."""
    built = stages(text)
    by_name = {s.name.lower(): (i, s) for i, s in enumerate(built)}
    if target:
        if target.lower() not in by_name:
            raise DockerfileError(f"target stage {target!r} is not in the Dockerfile "
                                  f"(stages: {', '.join(s.name for s in built)})")
        index, stage = by_name[target.lower()]
    else:
        index, stage = len(built) - 1, built[-1]
    chain: list[str] = []
    while True:
        chain.append(stage.name)
        if stage.healthcheck is not None:
            return StageHealth(chain[0], stage.healthcheck, stage.line, chain)
        parent = by_name.get(stage.base.lower())
        if parent is None or parent[0] >= index:  # an image, not an earlier stage
            return StageHealth(chain[0], None, None, chain, base_image=stage.base)
        index, stage = parent
