"""BLD-01 rules: is there something to build, can the builder that runs honour every build section,
and did each build complete (where it broke: the Dockerfile, its instruction and line)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.drills.builder import BuildFacts

NOTHING_TO_BUILD = "no service has a build: section"
BUILDKIT_ONLY = "build options the engine's legacy builder cannot honour (BuildKit only)"
NOT_HANDED_ON = "build options BLD-01 does not hand to `docker build`"


def unsupported_keys(build: Mapping[str, Any], honoured: Collection[str]) -> list[str]:
    """The keys of a resolved `build:` section that say something and that the builder does not honour."""
    return sorted(k for k, v in build.items() if k not in honoured and v not in (None, [], {}, ""))


def build_section_findings(builds: Mapping[str, Mapping[str, Any]], honoured: Collection[str],
                           buildkit: bool = False) -> list[Finding]:
    """Before any build: at least one service has a `build:` section (service -> its section), and
    every section uses only the keys the builder that runs honours (under the legacy builder, anything
    else needs BuildKit)."""
    if not builds:
        return [Finding(NOTHING_TO_BUILD, "services with a build section", 0, "at least 1",
                        says="there is nothing to build (every image is pulled)")]
    out = []
    for name, build in builds.items():
        if keys := unsupported_keys(build, honoured):
            out.append(Finding(NOT_HANDED_ON if buildkit else BUILDKIT_ONLY, f"services.{name}.build", keys,
                               "only keys the builder honours", says=f"{name}: {', '.join(keys)}"))
    return out


def build_findings(results: Sequence[BuildFacts]) -> list[Finding]:
    """Every build that did not produce its image, where and why in the builder's words. `measured`
    says where it broke (Dockerfile, instruction, the line when the builder named one), so a report
    can point at the Dockerfile."""
    return [Finding(f"service {r.service}", "docker build",
                    {"result": "failed", "dockerfile": r.dockerfile, "instruction": r.instruction,
                     "line": r.dockerfile_line}, "the image builds",
                    says=f"docker build failed {r.failure}") for r in results if not r.ok]
