"""INF-01 against real engines: the swarm manager here, a second engine outside any swarm,
and a socket nobody listens on."""

from selftest.conftest import derive_config
from selftest.gaterun import run_gates

SELECT = ["-m", "infra", "--nestgate-controls=INF-01"]


def test_passes_on_the_active_swarm(default_config, tmp_path):
    run = run_gates(SELECT, derive_config(default_config, tmp_path, target={"docker_host": ""}))
    [result] = run.by_control("INF-01")
    assert result.outcome == "passed", run.output
    assert run.returncode == 0
    assert "infra        GO, controls INF-01 only" in run.output


def test_fails_on_an_engine_outside_any_swarm(default_config, tmp_path, lone_engine):
    run = run_gates(SELECT, derive_config(default_config, tmp_path, target={"docker_host": lone_engine}))
    [result] = run.by_control("INF-01")
    assert result.outcome == "failed", run.output
    assert f"engine {lone_engine}: not in an active swarm" in result.message
    assert "LocalNodeState is 'inactive'" in result.message
    assert run.returncode == 1
    assert "infra        NO-GO" in run.output


def test_fails_with_one_line_when_the_daemon_is_unreachable(default_config, tmp_path):
    socket = f"unix://{tmp_path}/nobody-listens.sock"
    run = run_gates(SELECT, derive_config(default_config, tmp_path, target={"docker_host": socket}))
    [result] = run.by_control("INF-01")
    assert result.outcome == "failed", run.output
    first_line = result.message.splitlines()[0]
    assert first_line.startswith(f"INF-01: evidence unavailable: Docker engine unreachable at {socket}")
    assert "Traceback" not in run.output and "docker/api/client.py" not in run.output
