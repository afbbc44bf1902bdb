"""Failed control tests as located failures: one per test and finding subject, with the compose line of
the offending key, or the Dockerfile line, for declared-side findings. Shared by SARIF, the GitHub
annotations and GitLab's Code Quality report, so all three say the same thing.

A finding names its subject and property ("service app (compose)", "user"); `key_path` turns that
into a compose key path (services.app.user), `Locator` finds it in the source compose files (the
resolved model has no line numbers), falling back to the service node, then to the file. A finding
about a Dockerfile (`dockerfile_query`: a failed BLD-01 build, a built image BLD-05 finds without a
healthcheck) points at its Dockerfile line instead, falling back to the compose key when the Dockerfile
cannot be read. The files are read by nestgate.probes.source_files; this module only judges.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nestgate.catalog import CONTROLS
from nestgate.probes.readers.dockerfile import find, stage_start
from nestgate.probes.readers.yaml_positions import key_position
from nestgate.probes.source_files import SourceFiles

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
class DockerfileQuery:
    """What to find in a Dockerfile: the file (or the service whose build names it), the instruction a
    builder named or the built stage's FROM, and the line when the builder gave one."""

    path: Path | None = None
    service: str = ""
    instruction: str = ""
    line: int | None = None


def dockerfile_query(control_id: str, subject: str, prop: str, measured: Any) -> DockerfileQuery | None:
    """The Dockerfile place a declared-side finding is about; None when it is about the compose file."""
    if control_id == "BLD-01" and prop == "docker build" and isinstance(measured, Mapping) and \
            measured.get("dockerfile"):
        line = measured.get("line")
        return DockerfileQuery(Path(str(measured["dockerfile"])), instruction=str(measured.get("instruction") or ""),
                               line=line if isinstance(line, int) and line > 0 else None)
    service = _SERVICE.match(subject)
    if control_id == "BLD-05" and prop == "healthcheck" and measured is None and service:  # none declared anywhere
        return DockerfileQuery(service=service["name"])
    return None


@dataclass(frozen=True)
class Location:
    path: Path  # absolute
    line: int | None = None  # None: the file as a whole
    column: int | None = None
    key: str = ""  # the dotted compose key path found, e.g. services.app.user ("" in a Dockerfile)

    def relative_to(self, base: Path | None) -> str:
        """The path relative to `base` when the file is under it (what code hosts want), else absolute."""
        if base is not None and self.path.is_relative_to(base):
            return self.path.relative_to(base).as_posix()
        return self.path.as_posix()


class Locator:
    """Key positions in the target's compose files, later files winning as Compose merges them, and
    instruction positions in the Dockerfiles they build. A file that cannot be read or parsed leaves its
    findings at file level (a Dockerfile: at the compose key), with a note."""

    def __init__(self, compose_paths: Sequence[Path], project_dir: Path | None = None) -> None:
        self.sources = SourceFiles(compose_paths, project_dir)
        self.paths = self.sources.compose_paths

    @property
    def notes(self) -> list[str]:
        return self.sources.notes

    def locate(self, path: tuple[str, ...] | None) -> Location | None:
        if path is None or not self.paths:
            return None
        best: tuple[int, Location] | None = None
        roots = self.sources.compose_roots
        for file in reversed(self.paths):  # the last file that declares the deepest part wins
            if file not in roots:
                continue
            pos = key_position(roots[file], path)
            if pos.matched and (best is None or len(pos.matched) > best[0]):
                best = (len(pos.matched), Location(file, pos.line, pos.column, ".".join(pos.matched)))
        return best[1] if best else Location(self.paths[0])

    def locate_in_dockerfile(self, query: DockerfileQuery) -> Location | None:
        """The Dockerfile line a finding is about: the line the builder named, else the instruction it
        named, else the built stage's FROM; the Dockerfile as a whole when none is found there; None when
        there is no Dockerfile to read (the caller falls back to the compose key)."""
        build = self.sources.build_of(query.service) if query.service else None
        path = query.path or (build.dockerfile if build else None)
        found = self.sources.dockerfile(path) if path is not None else None
        if path is None or found is None:
            return None
        if query.line is not None:
            at = max((i for i in found if i.line <= query.line), key=lambda i: i.line, default=None)
            return Location(path, query.line, at.column if at and at.line == query.line else 1)
        hit = find(found, query.instruction) if query.instruction else stage_start(found, build.target if build else "")
        if hit is None:
            return Location(path)
        return Location(path, hit.line, hit.column)


def _where(locator: Locator, cid: str, subject: str, finding: Mapping[str, Any]) -> Location | None:
    prop = str(finding.get("property") or "")
    query = dockerfile_query(cid, subject, prop, finding.get("measured"))
    in_dockerfile = locator.locate_in_dockerfile(query) if query is not None else None
    return in_dockerfile or locator.locate(key_path(cid, subject, prop))


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
        first = {str(f.get("subject") or ""): f for f in reversed(findings)}  # each subject's first finding
        for subject, sentences in _by_subject(findings).items():
            where = _where(locator, cid, subject, first[subject]) if side == "declared" else None
            part = (f"{subject}: " if subject else "") + "; ".join(sentences)
            # the subject's part of the failure line; a failure not worded from its findings stays whole
            text = f"{cid}: {part}" if part in line else line
            out.append(Failure(cid, nodeid, rec["outcome"], side, subject, text, where))
    return out
