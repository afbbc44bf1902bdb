"""[target]: which deployment nestgate gates, and how to reach it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from nestgate.config.base import Strict


class Target(Strict):
    name: str = "medianest"
    # "swarm": services deployed with `docker stack deploy`; "compose": a `docker compose up` project.
    orchestrator: Literal["swarm", "compose"] = "swarm"
    # Swarm stack name (label com.docker.stack.namespace) or Compose project name.
    stack: str = "medianest-staging"
    # Directory of the target project (compose files, source tree), relative to the config file.
    project_dir: str = "."
    compose_files: list[str] = Field(default_factory=lambda: ["docker-compose.hardened.yml"])
    base_url: str = "http://localhost"
    # Empty: DOCKER_HOST from the environment, else the local socket.
    docker_host: str = ""
    # The services that must exist and run (the procedure's "5/5").
    services: list[str] = Field(default_factory=lambda: ["app", "postgres", "redis", "nginx", "monitor"])
    data_services: list[str] = Field(default_factory=lambda: ["postgres", "redis"])
    edge_services: list[str] = Field(default_factory=lambda: ["nginx"])
    # Upper bound for any single call to the target (Docker API, HTTP, SQL, command).
    call_timeout_s: float = 15.0
