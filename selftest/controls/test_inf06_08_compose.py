"""INF-06, INF-07 and INF-08 on a Compose target (`docker compose up`, as MediaNest's own
deploy-secure.sh deploys), not a swarm stack: a real project on this engine with a healthy built
service and one that crashes and is restarted by Docker, logging ERROR lines each time."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import docker
import pytest

from nestgate.probes.command import run
from nestgate.probes.compose import compose_command
from selftest.conftest import derive_config
from selftest.gaterun import GateRun, run_gates

REPO = "nestgate-selftest/infcmp-app"
COMPOSE = """\
services:
  app:
    build: {{context: ./app}}
    image: {repo}:2
    command: ["busybox", "sleep", "3600"]
    healthcheck: {{test: ["CMD", "busybox", "true"], interval: 1s, retries: 2}}
  crashy:
    image: {base}
    command: ["sh", "-c", "for i in 1 2 3 4 5 6; do echo ERROR sync failed attempt $$i; done; sleep 1; exit 3"]
    restart: always
"""


def wait_for(what: str, check, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"{what} within {timeout_s:g} s"
        time.sleep(1)


@pytest.fixture(scope="module")
def project(testbed, tmp_path_factory) -> Iterator[tuple[Path, str]]:
    """The project, up; releases 1 and 2 of the app are tags of the testbed's base image (Compose
    would need buildx to build here, and the build itself is BLD-01's business)."""
    client = docker.from_env()
    base = testbed.state.images["base"]
    for release in ("1", "2"):
        client.images.get(base).tag(REPO, release)
    root = tmp_path_factory.mktemp("infcmp")
    (root / "app").mkdir()
    (root / "app" / "Dockerfile").write_text(f"FROM {base}\n")
    (root / "compose.yml").write_text(COMPOSE.format(repo=REPO, base=base))
    name = f"infcmp{secrets.token_hex(3)}"
    cli = [*compose_command(), "-f", str(root / "compose.yml"), "-p", name]
    try:
        up = run([*cli, "up", "-d", "--no-build"], timeout_s=120, cwd=root)
        assert up.ok, up.stderr
        wait_for("app healthy", lambda: client.containers.get(f"{name}-app-1").attrs["State"].get(
            "Health", {}).get("Status") == "healthy")
        wait_for("crashy restarted twice", lambda: client.containers.get(f"{name}-crashy-1").attrs[
            "RestartCount"] >= 2)
        yield root, name
    finally:
        run([*cli, "down", "-t", "1"], timeout_s=120, cwd=root)
        for release in ("1", "2"):
            client.images.remove(f"{REPO}:{release}", noprune=True)


def config_for(default_config: dict, project: tuple[Path, str], directory: Path, **infra) -> Path:
    root, name = project
    target = {"orchestrator": "compose", "stack": name, "project_dir": str(root), "compose_files": ["compose.yml"],
              "services": ["app", "crashy"], "data_services": [], "edge_services": []}
    return derive_config(default_config, directory, target=target, infra=infra)


def lines(run: GateRun) -> dict[str, str]:
    return {o.nodeid.split("::")[-1]: o.message.splitlines()[0] for o in run.outcomes.values() if o.message}


def test_compose_restarts_errors_and_missing_rollback_record(default_config, project, tmp_path):
    _, name = project
    run = run_gates(["-m", "infra", "--nestgate-controls=INF-06,INF-07,INF-08"],
                    config_for(default_config, project, tmp_path))
    got = lines(run)
    assert "Traceback" not in run.output
    assert run.outcomes and all(o.outcome == "passed" for o in run.outcomes.values()
                                if "INF-06[app]" in o.nodeid or "declared" in o.nodeid), got
    crashy = got["test_service_replicas_running_and_healthy[INF-06[crashy]]"]
    assert crashy.startswith("INF-06: service crashy: ") and f"{name}-crashy-1 restarted " in crashy
    errors = got["test_error_rate_under_limit[INF-07]"]
    assert "errors within one minute" in errors and f"{name}-crashy-1 (" in errors and "ERROR sync failed" in errors
    assert got["test_built_services_have_previous_image[INF-08]"] == (
        f"INF-08: app: no previous image recorded to roll back to (Compose keeps no previous image); "
        f"current image {REPO}:2")
    # no drill in the derived config's reports folder (relative to its temp dir): not tested either
    assert got["test_rollback_drill_recent_and_within_limit[INF-08]"] == (
        f"INF-08: no rollback drill recorded in the last 30 days (looked in {tmp_path}/reports/*-deploy*/rollback.json "
        "(no such folder))")


def test_compose_rollback_record_names_the_previous_release(default_config, project, tmp_path):
    record = tmp_path / "rollback.json"
    record.write_text(json.dumps({"services": {"app": {"previous_image": f"{REPO}:1"}}}))
    run = run_gates(["-m", "infra", "--nestgate-controls=INF-08"],
                    config_for(default_config, project, tmp_path, rollback={"record_file": str(record)}))
    [result] = [o for o in run.by_control("INF-08") if "test_built_services_have_previous_image" in o.nodeid]
    assert result.outcome == "passed", run.output[-2000:]
    measured = json.loads(result.properties["nestgate.measured"])["services"]["app"]
    assert measured == {"current": f"{REPO}:2", "previous": f"{REPO}:1", "from": f"record {record}", "present": True}
