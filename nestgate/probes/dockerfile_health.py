"""BLD-05: the Dockerfile that builds a service (its compose `build:`), read for its HEALTHCHECK."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.dockerfile_healthcheck import DockerfileError, StageHealth, stage_health

MAX_BYTES = 1 << 20  # a Dockerfile is text; anything larger is not one


@dataclass(frozen=True)
class BuiltHealth:
    where: str  # "Dockerfile /abs/Dockerfile (stage backend-production, line 17)"
    found: StageHealth


def dockerfile_path(build: dict[str, Any], project_dir: Path) -> Path | None:
    """The Dockerfile of a resolved compose `build:` (context + dockerfile; None for dockerfile_inline)."""
    if build.get("dockerfile_inline"):
        return None
    context = Path(str(build.get("context") or "."))
    context = context if context.is_absolute() else project_dir / context
    name = Path(str(build.get("dockerfile") or "Dockerfile"))
    return name if name.is_absolute() else context / name


def built_health(build: dict[str, Any], project_dir: Path) -> BuiltHealth:
    """The HEALTHCHECK of the stage the service's build produces. EvidenceUnavailable when the
    Dockerfile cannot be read or parsed (named, with the reason)."""
    path = dockerfile_path(build, project_dir)
    if path is None:
        text, shown = str(build["dockerfile_inline"]), "dockerfile_inline"
    else:
        shown = f"Dockerfile {path}"
        try:
            if path.stat().st_size > MAX_BYTES:
                raise EvidenceUnavailable(f"{shown} is larger than {MAX_BYTES} bytes: not a Dockerfile")
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise EvidenceUnavailable(f"{shown} cannot be read ({exc.strerror or exc}): fix the service's build "
                                      "context/dockerfile, or declare a healthcheck in the compose file") from None
        except UnicodeDecodeError:
            raise EvidenceUnavailable(f"{shown} is not UTF-8 text") from None
    target = str(build["target"]) if build.get("target") else None
    try:
        found = stage_health(text, target)
    except DockerfileError as exc:
        raise EvidenceUnavailable(f"{shown}: {exc}") from None
    at = f", line {found.line}" if found.line else ""
    via = f" via {' <- '.join(found.chain)}" if len(found.chain) > 1 and found.line else ""
    return BuiltHealth(f"{shown} (stage {found.stage}{via}{at})", found)
