"""[target]: which deployment nestgate gates, and how to reach it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nestgate.config.base import Strict


class Target(Strict):
    name: str = Field("medianest", description=(
        "Display name of the gated deployment: printed in the pytest header, the evidence fingerprint, "
        "watch events, incident bundles and the KPI page."))
    orchestrator: Literal["swarm", "compose"] = Field("swarm", description=(
        "How the stack runs: \"swarm\" (services deployed with `docker stack deploy`) or \"compose\" "
        "(a `docker compose up` project). Every runtime control reads the engine accordingly."))
    stack: str = Field("medianest-staging", description=(
        "Swarm stack name (label com.docker.stack.namespace) or Compose project name: selects the "
        "services, containers and secrets every runtime control looks at."))
    project_dir: str = Field(".", description=(
        "Directory of the target project (compose files, source tree), relative to the config file."))
    compose_files: list[str] = Field(
        default_factory=lambda: ["docker-compose.hardened.yml"], min_length=1, description=(
            "Compose files of the stack, relative to project_dir, resolved together by `docker compose config`: "
            "the declared intent that the declared controls judge. One or more: with none, compose would read "
            "whatever compose file it finds in project_dir."))
    base_url: str = Field("http://localhost", description=(
        "URL the stack answers HTTP on (its edge service): the HTTP paths of SEC-03, PRF-03, PRF-05, INF-03, "
        "INF-04 and the watch endpoints are requested under it, SEC-07's too unless monitoring has its own."))
    docker_host: str = Field("", description=(
        "Docker engine to talk to, as in DOCKER_HOST (e.g. unix:///var/run/docker.sock or tcp://...). "
        "Empty: DOCKER_HOST from the environment, else the local socket."))
    services: list[str] = Field(
        default_factory=lambda: ["app", "postgres", "redis", "nginx", "monitor"], description=(
            "The services that must exist and run (the procedure's \"5/5\"); per-service controls "
            "(SEC-04, BLD-05, PRF-02, PRF-06, INF-06) and the watch sampler take one subject per name."))
    data_services: list[str] = Field(default_factory=lambda: ["postgres", "redis"], description=(
        "SEC-05: services holding data; they must attach only to internal networks, publish no ports "
        "and refuse TCP connects from the host."))
    edge_services: list[str] = Field(default_factory=lambda: ["nginx"], description=(
        "SEC-05: the only services allowed to publish ports."))
    call_timeout_s: float = Field(15.0, gt=0, description=(
        "Upper bound in seconds for any single call to the target (Docker API, HTTP, SQL, command)."))
