"""Failed control tests as located failures: one per test and finding subject, with the compose line of
the offending key for declared-side findings. Shared by SARIF, the GitHub annotations and GitLab's
Code Quality report, so all three say the same thing.

A finding names its subject and property ("service app (compose)", "user"); `key_path` turns that
into a compose key path (services.app.user), `Locator` finds it in the source compose files (the
resolved model has no line numbers), falling back to the service node, then to the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nestgate.catalog import CONTROLS
from nestgate.probes.readers.yaml_positions import YamlPositionError, compose_root, key_position

_SERVICE = re.compile(r"^(?:data |edge )?service (?P<name>[^\s(]+)")
_NETWORK = re.compile(r"^network (?P<name>\S+)$")
# property -> key path under the service, where the property is not itself the compose key
_UNDER_SERVICE: dict[str, tuple[str, ...]] = {
    "declared limits": ("deploy", "resources", "limits"), "published ports": ("ports",), "bind mount": ("volumes",),
    "network namespace": ("network_mode",), "pid namespace": ("pid",), "ipc namespace": ("ipc",),
    "interval_s": ("healthcheck", "interval"), "replicas": ("deploy", "replicas"), "docker build": ("build",),
    "entrypoint argument": ("entrypoint",), "command argument": ("command",), "pool limit": ("environment",),
}
_SERVICE_KEYS = {"user", "privileged", "cap_drop", "cap_add", "read_only", "healthcheck", "ports", "networks",
                 "environment", "command", "entrypoint", "image", "build", "volumes", "secrets", "deploy"}


def key_path(control_id: str, subject: str, prop: str) -> tuple[str, ...] | None:
    """The compose key a declared-side finding is about, most specific first; None when its subject is
    not something a compose file declares (a command, a report file)."""
    if prop.startswith("services."):  # BLD-01 names the key itself
        return tuple(prop.split("."))
    if network := _NETWORK.match(subject):
        return ("networks", network["name"], *(("internal",) if prop == "Internal" else ()))
    service = _SERVICE.match(subject)
    if service is None:
        return None
    base = ("services", service["name"])
    if prop in _UNDER_SERVICE:
        return base + _UNDER_SERVICE[prop]
    if prop in _SERVICE_KEYS:
        return (*base, prop)
    if prop.startswith("environment "):  # SEC-02: "environment DATABASE_URL"
        return (*base, "environment", prop.removeprefix("environment "))
    if control_id == "INF-02" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", prop):  # a required variable
        return (*base, "environment", prop)
    return base


@dataclass(frozen=True)
class Location:
    path: Path  # absolute
    line: int | None = None  # None: the file as a whole
    column: int | None = None
    key: str = ""  # the dotted key path found, e.g. services.app.user

    def relative_to(self, base: Path | None) -> str:
        """The path relative to `base` when the file is under it (what code hosts want), else absolute."""
        if base is not None and self.path.is_relative_to(base):
            return self.path.relative_to(base).as_posix()
        return self.path.as_posix()


class Locator:
    """Key positions in the target's compose files, later files winning as Compose merges them. Files are
    read once; one that cannot be read or parsed leaves its findings at file level, with a note."""

    def __init__(self, compose_paths: Sequence[Path]) -> None:
        self.paths = list(compose_paths)
        self.notes: list[str] = []
        self._roots: dict[Path, Any] = {}
        for path in self.paths:
            try:
                self._roots[path] = compose_root(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                self.notes.append(f"{path}: unreadable, findings point at the file only: "
                                  f"{getattr(exc, 'strerror', None) or exc}")
            except YamlPositionError as exc:
                self.notes.append(f"{path}: {exc}; findings point at the file only")

    def locate(self, path: tuple[str, ...] | None) -> Location | None:
        if path is None or not self.paths:
            return None
        best: tuple[int, Location] | None = None
        for file in reversed(self.paths):  # the last file that declares the deepest part wins
            if file not in self._roots:
                continue
            pos = key_position(self._roots[file], path)
            if pos.matched and (best is None or len(pos.matched) > best[0]):
                best = (len(pos.matched), Location(file, pos.line, pos.column, ".".join(pos.matched)))
        return best[1] if best else Location(self.paths[0])


@dataclass(frozen=True)
class Failure:
    """One failed (or errored) control test and one subject of its findings."""

    control_id: str
    nodeid: str
    outcome: str  # failed or error
    side: str  # declared, runtime, or "" when unknown
    subject: str
    message: str  # one line, redacted like the evidence it comes from
    location: Location | None = None

    @property
    def gate(self) -> str:
        return CONTROLS[self.control_id].gate


def first_line(message: str) -> str:
    """The failure's first line, without the phase tag the bundle puts before it ("[call] ")."""
    line = (message.strip().splitlines() or [""])[0]
    return re.sub(r"^\[(setup|call|teardown)\] ", "", line)


def _by_subject(findings: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for f in findings:
        subject, text = str(f.get("subject") or ""), str(f.get("message") or "")
        groups.setdefault(subject, []).append(text.removeprefix(f"{subject}: ") if subject else text)
    return groups


def failures(records: Iterable[Mapping[str, Any]], sides: Mapping[str, str], locator: Locator) -> list[Failure]:
    """Located failures of the evidence records (already redacted) whose outcome is failed or error."""
    out = []
    for rec in records:
        if rec.get("outcome") not in ("failed", "error"):
            continue
        cid, nodeid, side = str(rec["control_id"]), str(rec["nodeid"]), sides.get(str(rec["nodeid"]), "")
        line = first_line(str(rec.get("message") or ""))
        findings = [f for f in rec.get("findings") or [] if isinstance(f, Mapping)]
        if not findings:
            out.append(Failure(cid, nodeid, rec["outcome"], side, "", line))
            continue
        props = {str(f.get("subject") or ""): str(f.get("property") or "") for f in reversed(findings)}
        for subject, sentences in _by_subject(findings).items():
            where = locator.locate(key_path(cid, subject, props[subject])) if side == "declared" else None
            part = (f"{subject}: " if subject else "") + "; ".join(sentences)
            # the subject's part of the failure line; a failure not worded from its findings stays whole
            text = f"{cid}: {part}" if part in line else line
            out.append(Failure(cid, nodeid, rec["outcome"], side, subject, text, where))
    return out
