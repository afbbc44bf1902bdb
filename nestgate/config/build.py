"""[build]: settings of the build gate (BLD-01 .. BLD-06). Defaults fit MediaNest.

Paths are relative to target.project_dir (the MediaNest checkout); commands are argv lists,
run without a shell.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from nestgate.config.base import Strict

# pytest-timeout's bound for the build, type-check and test controls: above any sensible value of
# the timeouts below, which are the real bounds (each reports what timed out).
BACKSTOP_S = 3600


class Images(Strict):
    """BLD-01: build every service that has a `build:` section, as deploy-secure.sh does."""

    # deploy-secure.sh runs `docker compose ... build --no-cache`.
    no_cache: bool = True
    # Images are built under throwaway tags `<tag_prefix>/<stack>-<service>:<run>`, never under the
    # tag the running stack uses, and removed afterwards unless kept.
    tag_prefix: str = "nestgate-build"
    keep: bool = False
    # Upper bound for one service's build (the engine's build call and its output stream).
    timeout_s: float = Field(900.0, gt=0)
    # Builds at once (the engine's legacy builder runs them side by side).
    parallel: int = Field(2, ge=1, le=8)


class SharedPackage(Strict):
    """BLD-02: the shared library and the packages that consume it."""

    package: str = "@medianest/shared"
    dir: str = "shared"  # the package's own directory
    built_output: str = "dist"  # relative to dir: where its build lands (`tsc --build` -> dist)
    consumers: list[str] = Field(default_factory=lambda: ["backend"])


class Build(Strict):
    # Seconds from a container's start until it must report healthy (BLD-05).
    healthy_within_s: float = Field(30.0, gt=0)
    # Where the Node commands run, relative to target.project_dir.
    source_dir: str = "."
    # Upper bound for each Node command (type-check, tests, module resolution).
    command_timeout_s: float = Field(600.0, gt=0)
    images: Images = Field(default_factory=Images)
    shared: SharedPackage = Field(default_factory=SharedPackage)
    # BLD-03: each must exit 0 with no `error TSnnnn` in its output. MediaNest's root `typecheck`
    # script runs `tsc --noEmit` in backend and frontend.
    typecheck_commands: list[list[str]] = Field(default_factory=lambda: [["npm", "run", "typecheck"]])
    # BLD-04: the procedure's `npm run test:critical-path` (MediaNest does not define it: a gate
    # run on MediaNest fails naming the missing script, which is the finding).
    critical_path_command: list[str] = Field(default_factory=lambda: ["npm", "run", "test:critical-path"])

    @field_validator("critical_path_command")
    @classmethod
    def _argv_not_empty(cls, argv: list[str]) -> list[str]:
        if not argv or not argv[0]:
            raise ValueError("give the command as a non-empty argv list")
        return argv

    @field_validator("typecheck_commands")
    @classmethod
    def _argvs_not_empty(cls, argvs: list[list[str]]) -> list[list[str]]:
        if any(not argv or not argv[0] for argv in argvs):
            raise ValueError("give each command as a non-empty argv list")
        return argvs
