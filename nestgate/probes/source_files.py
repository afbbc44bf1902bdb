"""The target's source files as a report locates findings in them: its compose files (node trees with
positions) and the Dockerfiles they build. Each file is read once; one that cannot be read or parsed is
noted, and its findings point at the file (or the compose key) instead of a line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nestgate.probes.readers.dockerfile import DockerfileUnparsable, Instruction, instructions
from nestgate.probes.readers.yaml_positions import YamlPositionError, compose_root


@dataclass(frozen=True)
class BuildSource:
    """Where a service's image is built from, as its compose source says."""

    dockerfile: Path
    target: str = ""


def _why(exc: OSError | UnicodeDecodeError) -> str:
    return str(getattr(exc, "strerror", None) or exc)


class SourceFiles:
    def __init__(self, compose_paths: Sequence[Path], project_dir: Path | None = None) -> None:
        self.compose_paths = list(compose_paths)
        # Compose resolves build contexts against the project directory: the first file's folder by default.
        self.project_dir = project_dir or (self.compose_paths[0].parent if self.compose_paths else Path.cwd())
        self.notes: list[str] = []
        self.compose_roots: dict[Path, Any] = {}
        self._builds: dict[str, BuildSource] = {}
        self._dockerfiles: dict[Path, list[Instruction] | None] = {}
        for path in self.compose_paths:
            try:
                text = path.read_text(encoding="utf-8")
                self.compose_roots[path] = compose_root(text)
            except (OSError, UnicodeDecodeError) as exc:
                self.notes.append(f"{path}: unreadable, findings point at the file only: {_why(exc)}")
                continue
            except YamlPositionError as exc:
                self.notes.append(f"{path}: {exc}; findings point at the file only")
                continue
            self._note_builds(yaml.safe_load(text))

    def _note_builds(self, document: Any) -> None:
        """Each service's build section, later files winning as Compose merges them (keys it leaves out
        keep the earlier file's value)."""
        services = document.get("services") if isinstance(document, dict) else None
        for name, spec in (services or {}).items():
            build = spec.get("build") if isinstance(spec, dict) else None
            if isinstance(build, str):
                build = {"context": build}
            if not isinstance(build, dict):
                continue
            earlier = self._builds.get(str(name))
            context = self.project_dir / str(build.get("context") or ".")
            dockerfile = context / str(build.get("dockerfile") or "Dockerfile")
            if earlier is not None and "context" not in build and "dockerfile" not in build:
                dockerfile = earlier.dockerfile
            target = str(build.get("target") or (earlier.target if earlier else ""))
            self._builds[str(name)] = BuildSource(dockerfile, target)

    def build_of(self, service: str) -> BuildSource | None:
        """The service's Dockerfile and target stage, when its compose source has a build section."""
        return self._builds.get(service)

    def dockerfile(self, path: Path) -> list[Instruction] | None:
        """The Dockerfile's instructions (read once), or None when it cannot be read (noted)."""
        if path not in self._dockerfiles:
            try:
                self._dockerfiles[path] = instructions(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError) as exc:
                self.notes.append(f"{path}: unreadable, findings point at the compose file instead: {_why(exc)}")
                self._dockerfiles[path] = None
            except DockerfileUnparsable as exc:
                self.notes.append(f"{path}: not a Dockerfile BuildKit parses ({exc}); findings point at the "
                                  "compose file instead")
                self._dockerfiles[path] = None
        return self._dockerfiles[path]
