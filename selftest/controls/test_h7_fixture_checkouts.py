"""BLD-05 (Dockerfile), BLD-06 (every loader error, swarm incompatibilities) and INF-02 (every received
variable, optional entries) run for real on H5's MediaNest-shaped fixture checkouts: declared side only,
real Compose, real `docker stack config`, BuildKit's Dockerfile parser. No stack is needed."""

import re
import shutil
from pathlib import Path

import pytest

from selftest.gaterun import run_gates, write_config

CHECKOUTS = Path(__file__).resolve().parents[1] / "data" / "checkouts"
SERVICES = ["postgres", "redis", "app", "nginx"]
CONTROLS = ["-m", "(build or infra) and declared", "--nestgate-controls=BLD-05,BLD-06,INF-02"]


def _checkout(tmp_path: Path, name: str = "medianest") -> Path:
    copy = tmp_path / name
    shutil.copytree(CHECKOUTS / name, copy)
    return copy


def _run(tmp_path: Path, project: Path, **extra):
    data = {"target": {"project_dir": str(project), "compose_files": ["docker-compose.hardened.yml"],
                       "services": SERVICES, "data_services": ["postgres", "redis"], "edge_services": ["nginx"]},
            **extra}
    return run_gates(CONTROLS, write_config(data, tmp_path), timeout_s=300)


def _outcome(run, prefix: str):
    [found] = [o for o in run.outcomes.values() if o.nodeid.split("::")[-1].startswith(prefix)]
    return found


def test_fixture_checkout_bld05_decides_from_the_dockerfile_and_bld06_inf02_say_everything(tmp_path):
    project = _checkout(tmp_path)
    run = _run(tmp_path, project)
    app = _outcome(run, "test_service_declares_a_healthcheck[BLD-05[app]]")
    # The target stage's HEALTHCHECK --interval=30s: exactly the limit, which "within 30 s" includes.
    assert app.outcome == "passed", app.message
    assert "stage backend-production" in app.evidence["measured"]["origin"]
    assert app.evidence["measured"]["interval_s"] == 30.0

    bld06 = _outcome(run, "test_compose_accepts_the_compose_files[BLD-06]")
    assert bld06.outcome == "failed"
    measured = bld06.evidence["measured"]
    errors = measured["stack_loader_errors"]
    assert errors == sorted(errors, key=lambda e: re.match(r"services\.(\w+)", e)[1])  # by service
    assert "services.nginx.depends_on must be a list" in errors
    assert any(e.startswith("services.trivy Additional property profiles") for e in errors)
    failing = measured["not_honoured_by_stack_deploy"]
    for expected in ("services.app.security_opt", "services.postgres.security_opt", "services.app.build: stack "
                     "deploy never builds and the service names no image", "services.app.depends_on: ignored: swarm "
                     "has no start order, the condition"):
        assert any(f.startswith(expected) for f in failing), (expected, failing)
    assert bld06.message.startswith("BLD-06: docker stack deploy would reject ")

    inf02 = _outcome(run, "test_required_variables_declared[INF-02[app]]")
    assert inf02.outcome == "failed"
    problems = inf02.evidence["measured"]["problems"]
    assert "service app (compose): JWT_SECRET is a placeholder (unevaluated $(...))" in problems
    assert "service app (compose): PLEX_CLIENT_ID is a placeholder (example)" not in problems  # 'your-...' is no kind
    assert "service app (compose): PLEX_CLIENT_SECRET is not set" in problems  # required: the example gives a value
    assert not any("OVERSEERR" in p or "UPTIME_KUMA" in p for p in problems)  # optional: noted, not failed
    assert "OVERSEERR_API_KEY" in inf02.evidence["measured"]["optional_unset"]
    assert "your-plex" not in run.output and "/run/secrets/jwt_secret" not in inf02.message


def test_fixture_without_a_dockerfile_healthcheck_fails_and_compose_only_files_get_compose_rules(tmp_path):
    project = _checkout(tmp_path)
    compose = project / "docker-compose.hardened.yml"
    compose.write_text(compose.read_text().replace("target: backend-production", "target: backend-build"))
    run = _run(tmp_path, project, build={"compose_only_files": ["docker-compose.hardened.yml"]},
               infra={"env": {"optional": ["PLEX_CLIENT_SECRET"]}})
    app = _outcome(run, "test_service_declares_a_healthcheck[BLD-05[app]]")
    assert app.outcome == "failed"
    assert re.search(r"service app: declares no healthcheck \(Dockerfile .*/Dockerfile \(stage backend-build\); "
                     r"base image node:20-alpine: (none|not on this engine)\)", app.message), app.message
    bld06 = _outcome(run, "test_compose_accepts_the_compose_files[BLD-06]")
    assert bld06.outcome == "passed", bld06.message  # compose-only: Compose accepts it, no swarm rules
    assert bld06.evidence["measured"]["swarm_files"] == []
    inf02 = _outcome(run, "test_required_variables_declared[INF-02[app]]")
    assert not any("PLEX_CLIENT_SECRET" in p for p in inf02.evidence["measured"]["problems"])


@pytest.mark.parametrize("runs", [3])
def test_rejected_fixture_lists_every_stack_loader_error_in_the_same_order(tmp_path, runs):
    from nestgate.probes.stack_cli import every_loader_error

    file = CHECKOUTS / "medianest-rejected" / "docker-compose.hardened.yml"
    seen = {tuple(every_loader_error(file, file.parent, 30.0) or ()) for _ in range(runs)}
    assert seen == {("services.postgres Additional property healthcheck_interval is not allowed",
                     "services.redis: error decoding 'Deploy.Resources.Limits.memory': invalid size: 'lots'",
                     "services.trivy Additional property profiles is not allowed")}
