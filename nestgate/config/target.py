"""[target]: which deployment nestgate gates, and how to reach it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from nestgate.config.base import Strict
from nestgate.config.nodes import NodeEntry, validate_nodes
from nestgate.config.subjects import Exclusion, ProfilesSetting, check_profiles, exclusion_problems


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
        "Directory of the target project (the checkout: compose files, source tree), relative to the config "
        "file's folder. Every other relative path to the project's files (compose files, build and source "
        "paths, SEC-01's scan reports, INF-02's env example, PRF-01's bundle) resolves against it; files the "
        "operator holds (credential files, ssh keys, watch history and output, INF-08 drill records) resolve "
        "against the config file's folder."))
    compose_files: list[str] = Field(
        default_factory=lambda: ["docker-compose.hardened.yml"], min_length=1, description=(
            "Compose files of the stack, relative to project_dir, resolved together by `docker compose config`: "
            "the declared intent that the declared controls judge. One or more: with none, compose would read "
            "whatever compose file it finds in project_dir."))
    compose_profiles: Annotated[ProfilesSetting, AfterValidator(check_profiles)] = Field("all", description=(
        "Compose profiles the declared model includes: \"all\" (every service of every profile, as "
        "`--profile '*'`) or a list of profile names (services with no profile are always in). This key wins "
        "over $COMPOSE_PROFILES, which nestgate does not pass on to Compose. Each service's profiles are in "
        "the declared evidence."))
    base_url: str = Field("http://localhost", description=(
        "URL the stack answers HTTP on (its edge service): the HTTP paths of SEC-03, PRF-03, PRF-05, INF-03, "
        "INF-04 and the watch endpoints are requested under it, SEC-07's too unless monitoring has its own."))
    docker_host: str = Field("", description=(
        "Docker engine to talk to, in DOCKER_HOST's forms: unix:///var/run/docker.sock, tcp://host:2376 "
        "(TLS from DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as the Docker CLI's -H) or ssh://user@host (through "
        "the ssh binary). Empty: as the Docker CLI, DOCKER_HOST, else DOCKER_CONTEXT, else the current docker "
        "context (config.json currentContext), else the local socket."))
    services: list[str] = Field(
        default_factory=lambda: ["app", "postgres", "redis", "nginx", "monitor"], description=(
            "The services that must exist and run (the procedure's \"5/5\"): one missing from the compose model "
            "or the stack fails INF-06 and the per-service controls. Per-service controls (SEC-04, BLD-05, PRF-02, "
            "PRF-06, INF-06) judge these plus every other service of the compose model, all profiles included "
            "(see compose_profiles), unless target.exclude names it; the watch sampler takes these."))
    exclude: list[Exclusion] = Field(default_factory=list, description=(
        "Services of the compose model left out of per-service judgement, each as {service = \"...\", "
        "reason = \"...\"}: the reason is required and every report (pytest header, HTML report, evidence "
        "bundle) lists the exclusions. A service not in the compose model, or also in target.services, is a "
        "config error."))
    data_services: list[str] = Field(default_factory=lambda: ["postgres", "redis"], description=(
        "SEC-05: services holding data; they must attach only to internal networks, publish no ports "
        "and refuse TCP connects from the host."))
    edge_services: list[str] = Field(default_factory=lambda: ["nginx"], description=(
        "SEC-05: the only services allowed to publish ports."))
    call_timeout_s: float = Field(15.0, gt=0, description=(
        "Upper bound in seconds for any single call to the target (Docker API, HTTP, SQL, command)."))
    nodes: Annotated[dict[str, NodeEntry], AfterValidator(validate_nodes)] = Field(default_factory=dict, description=(
        "Swarm node (hostname or node ID) -> testinfra host spec reaching its files and commands (local://, "
        "ssh://user@host[:port], paramiko://..., docker:// for tests), or a table {host, identity_file, "
        "known_hosts_file, strict_host_key_checking}. Empty: the engine's own node is local:// when "
        "the engine is on this machine; a node running a task of the stack with no access fails the controls "
        "that need its facts (SEC-04, SEC-05, PRF-04, PRF-06)."))

    @model_validator(mode="after")
    def _exclusions_consistent(self) -> Target:
        problems = exclusion_problems(self.services, self.exclude)
        if problems:
            raise ValueError("target.exclude: " + "; ".join(problems))
        return self
