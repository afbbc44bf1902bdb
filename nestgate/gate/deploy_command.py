"""Is the deploy command the deploy that was gated? `docker stack deploy` and `docker compose`
commands are read: every -c/-f file must be a compose file the gate judged (same path, same hash,
same order) and the stack or project name must be the target's. Anything else cannot be checked and
is refused unless the operator says `--opaque-command` (recorded).

Parsed by hand (a small subset of the Docker CLI's grammar): no library parses docker argv, and an
option this module does not know makes the command opaque rather than guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# docker's global options that take a value (--context is -c here, before the subcommand)
_DOCKER_GLOBAL_VALUE = {"-H", "--host", "-c", "--context", "--config", "-l", "--log-level", "--tlscacert",
                        "--tlscert", "--tlskey"}
_DOCKER_GLOBAL_FLAG = {"-D", "--debug", "--tls", "--tlsverify"}
_STACK_DEPLOY_VALUE = {"-c", "--compose-file", "--resolve-image", "--orchestrator"}
_STACK_DEPLOY_FLAG = {"--prune", "--with-registry-auth", "-d", "--detach", "-q", "--quiet"}
_COMPOSE_VALUE = {"-f", "--file", "-p", "--project-name", "--project-directory", "--env-file", "--profile",
                  "--progress", "--ansi", "--parallel"}
_COMPOSE_FLAG = {"--compatibility", "--dry-run"}
_COMPOSE_UP_FLAG = {"-d", "--detach", "--wait", "--remove-orphans", "--no-build", "--quiet-pull", "--no-color",
                    "--force-recreate", "--no-recreate", "--always-recreate-deps", "-y", "--yes"}


@dataclass
class DeployCommand:
    kind: str  # "docker stack deploy" or "docker compose up"
    files: list[str] = field(default_factory=list)
    name: str | None = None  # stack or project name
    cwd: str | None = None  # compose --project-directory


class Opaque(ValueError):
    """The command is not one nestgate can read; why."""


def _options(words: list[str], takes_value: set[str], flags: set[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """Split `--opt value`, `--opt=value`, `-o value` and flags from the positional words; options
    keep their command-line order (compose files override in that order)."""
    values: list[tuple[str, str]] = []
    rest: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        name, eq, inline = word.partition("=")
        if word.startswith("-") and name in takes_value:
            if not eq:
                if i + 1 >= len(words):
                    raise Opaque(f"{word} has no value")
                inline, i = words[i + 1], i + 1
            values.append((name, inline))
        elif word.startswith("-") and name in flags:  # a flag, or --flag=true|false
            values.append((name, inline))
        elif word.startswith("-") and word != "-":
            raise Opaque(f"option {word} is not one nestgate knows")
        else:
            rest.append(word)
        i += 1
    return values, rest


def _values(opts: list[tuple[str, str]], *names: str) -> list[str]:
    return [v for n, v in opts if n in names]


def parse(argv: list[str]) -> DeployCommand:
    """The deploy command as nestgate reads it; raises Opaque when it cannot."""
    if not argv:
        raise Opaque("no command")
    program = Path(argv[0]).name
    if program == "docker-compose":
        words = ["compose", *argv[1:]]
    elif program == "docker":
        words = _after_globals(argv[1:])
    else:
        raise Opaque(f"{program} is neither docker nor docker-compose")
    if words[:2] == ["stack", "deploy"]:
        opts, rest = _options(words[2:], _STACK_DEPLOY_VALUE, _STACK_DEPLOY_FLAG)
        if len(rest) != 1:
            raise Opaque(f"docker stack deploy needs exactly one stack name, got {rest or 'none'}")
        return DeployCommand("docker stack deploy", _values(opts, "-c", "--compose-file"), rest[0])
    if words[:1] == ["compose"]:
        head, sub = _split_at_subcommand(words[1:])
        opts, _ = _options(head, _COMPOSE_VALUE, _COMPOSE_FLAG)
        if sub[:1] != ["up"]:
            raise Opaque(f"docker compose {sub[0] if sub else '(no subcommand)'} is not a deploy nestgate reads "
                         "(up is)")
        _options(sub[1:], {"--scale", "--timeout", "-t", "--pull", "--wait-timeout"}, _COMPOSE_UP_FLAG)
        names = _values(opts, "-p", "--project-name")
        return DeployCommand("docker compose up", _values(opts, "-f", "--file"), names[-1] if names else None,
                             (_values(opts, "--project-directory") or [None])[-1])
    raise Opaque(f"docker {' '.join(words[:2])} is not a deploy nestgate reads (stack deploy, compose up)")


def _after_globals(words: list[str]) -> list[str]:
    """The words after docker's global options (the subcommand on)."""
    i = 0
    while i < len(words) and words[i].startswith("-"):
        name = words[i].split("=", 1)[0]
        if name in _DOCKER_GLOBAL_VALUE:
            i += 1 if "=" in words[i] else 2
        elif name in _DOCKER_GLOBAL_FLAG:
            i += 1
        else:
            raise Opaque(f"docker option {words[i]} is not one nestgate knows")
    return words[i:]


def _split_at_subcommand(words: list[str]) -> tuple[list[str], list[str]]:
    i = 0
    while i < len(words) and words[i].startswith("-"):
        name, eq, _ = words[i].partition("=")
        i += 1 if (eq or name not in _COMPOSE_VALUE) else 2
    return words[:i], words[i:]


def command_problems(command: DeployCommand, cwd: Path, gated: dict[str, str], stack: str,
                     hashes: dict[str, str]) -> list[str]:
    """Why this deploy command is not the deploy that was gated. `gated`: the judged compose files
    (path -> SHA-256, in order); `hashes`: the SHA-256 of each file the command names, now."""
    problems = []
    base = Path(command.cwd) if command.cwd else cwd
    named = [str((base / f).resolve()) if f != "-" else "-" for f in command.files]
    if not named:
        problems.append(f"{command.kind} names no compose file (-c/-f): it would not deploy what the gate judged")
    elif named != list(gated):
        problems.append(f"{command.kind} deploys {', '.join(named)}; the gate judged {', '.join(gated)}")
    else:
        problems += [f"{path}: changed since the gate judged it" for path in named if hashes.get(path) != gated[path]]
    if command.name != stack:
        problems.append(f"{command.kind} targets {command.name or '(no name)'}; the gate judged stack {stack}")
    return problems
