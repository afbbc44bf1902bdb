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

    no_cache: bool = Field(True, description=(
        "BLD-01: build without the layer cache, as deploy-secure.sh's `docker compose ... build --no-cache`."))
    tag_prefix: str = Field("nestgate-build", description=(
        "BLD-01: images are built under throwaway tags `<tag_prefix>/<stack>-<service>:<run>`, never under "
        "the tag the running stack uses."))
    keep: bool = Field(False, description=(
        "BLD-01: keep the throwaway images after the control; false removes them."))
    timeout_s: float = Field(900.0, gt=0, description=(
        "BLD-01: upper bound in seconds for one service's build (the engine's build call and its output stream)."))
    parallel: int = Field(2, ge=1, le=8, description=(
        "BLD-01: builds at once, 1 to 8 (the engine's legacy builder runs them side by side)."))


class SharedPackage(Strict):
    """BLD-02: the shared library and the packages that consume it."""

    package: str = Field("@medianest/shared", description=(
        "BLD-02: npm name of the shared package, as its consumers import it."))
    dir: str = Field("shared", description="BLD-02: the shared package's own directory, relative to source_dir.")
    built_output: str = Field("dist", description=(
        "BLD-02: where the shared package's build lands, relative to dir (`tsc --build` -> dist); every "
        "consumer must resolve the package into it."))
    consumers: list[str] = Field(default_factory=lambda: ["backend"], description=(
        "BLD-02: directories of the packages that consume the shared package, relative to source_dir; "
        "one subject each."))


class Build(Strict):
    healthy_within_s: float = Field(30.0, gt=0, description=(
        "BLD-05: seconds from a container's start until it must report healthy."))
    source_dir: str = Field(".", description=(
        "BLD-02/03/04: where the Node commands run, relative to target.project_dir."))
    command_timeout_s: float = Field(600.0, gt=0, description=(
        "BLD-02/03/04: upper bound in seconds for each Node command (module resolution, type-check, tests)."))
    images: Images = Field(default_factory=Images, description="BLD-01: the image builds.")
    compose_only_files: list[str] = Field(default_factory=list, description=(
        "BLD-06: those of target.compose_files that are run with `docker compose` only, never `docker stack "
        "deploy` (e.g. a development file): they get Compose's rules, not the swarm ones. Empty: every file "
        "gets swarm rules when target.orchestrator is swarm."))
    shared: SharedPackage = Field(default_factory=SharedPackage, description=(
        "BLD-02: the shared package and its consumers."))
    typecheck_commands: list[list[str]] = Field(default_factory=lambda: [["npm", "run", "typecheck"]], description=(
        "BLD-03: argv lists (no shell), each must exit 0 with no `error TSnnnn` in its output. MediaNest's root "
        "`typecheck` script runs `tsc --noEmit` in backend and frontend."))
    critical_path_command: list[str] = Field(
        default_factory=lambda: ["npm", "run", "test:critical-path"], description=(
            "BLD-04: argv list (no shell) of the procedure's critical-path tests; it must exit 0 having run at "
            "least one test, none failed. MediaNest "
            "does not define the script: a gate run on MediaNest fails naming it, which is the finding."))

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
