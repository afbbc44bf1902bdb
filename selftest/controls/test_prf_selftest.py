"""The performance gate (PRF-01 .. PRF-06) against the real reference stack: clean, then with no
stack, a missing build output and a hanging endpoint. Each seeded performance fault is proven in
the exclusivity matrix (selftest/matrix/): alone on the stack, all four gates, exact failing tests."""

import re
import socket
import statistics
import time
import tomllib

import pytest

from nestgate.catalog import controls_of
from nestgate.config import load_config
from nestgate.probes.engine import Engine
from selftest.conftest import derive_config
from selftest.gaterun import run_gates
from selftest.stats_reference import api_stats

PRF_IDS = [c.id for c in controls_of("performance")]
SELECT = ["-m", "performance"]


def _failed(run) -> dict[str, str]:
    """Failed tests by test name (`test_x[PRF-06[monitor]]`) -> the first line of their message."""
    return {o.nodeid.rsplit("::", 1)[-1]: o.message.splitlines()[0] for o in run.outcomes.values()
            if o.outcome in ("failed", "error")}


def _measured(run, name: str) -> dict:
    [outcome] = [o for o in run.outcomes.values() if o.nodeid.endswith("::" + name)]
    return outcome.evidence["measured"]


def _testbed_config(testbed) -> dict:
    """The instance's generated config, with project_dir made absolute so a derived copy elsewhere
    still reads the instance's compose file and source tree."""
    data = tomllib.loads(testbed.config_path.read_text())
    data["target"]["project_dir"] = str(testbed.project_dir)
    return data


@pytest.fixture(scope="module")
def clean_run(testbed):
    return run_gates(SELECT, testbed.config_path)


def test_gate_is_go_on_the_clean_stack(clean_run):
    clean_run.assert_go("performance")


@pytest.mark.parametrize("control", PRF_IDS, ids=lambda c: c.lower().replace("-", ""))
def test_each_control_ran_and_passed_with_evidence(clean_run, control):
    clean_run.assert_passed_with_evidence(control)


def test_clean_evidence_shows_what_was_measured(clean_run, testbed):
    bundle = _measured(clean_run, "test_frontend_bundle_under_limit[PRF-01]")
    assert len(bundle["largest_files"]) == 10 and bundle["excluded_bytes"]["cache"] > 20 * 2**20
    assert 0 < bundle["apparent_mib"] < 10 and bundle["du_disk_bytes"] >= bundle["apparent_bytes"]
    assert _measured(clean_run, "test_limits_in_force[PRF-02[app]]")["in_force"]
    pool = _measured(clean_run, "test_pool_holds_under_burst[PRF-03]")
    assert pool["answers"] == {"200": 40} and 1 <= pool["connections_peak"] <= 10
    total = _measured(clean_run, "test_stack_memory_total_under_limit[PRF-04]")
    assert len(total["per_container_mib"]) == 5 and len(total["total_mib_per_round"]) == 4
    # One pass over the whole stack per round: against the engine's own figure, taken now, a round
    # is quicker than one-shot API stats for each container in turn (no stopwatch bound).
    engine = Engine.for_target(load_config(testbed.config_path).model.target)
    running = engine.running()
    started = time.monotonic()
    for container in running:
        api_stats(engine, container)
    in_turn_s = time.monotonic() - started
    assert len(running) == 5 and statistics.median(total["round_seconds"]) < in_turn_s, (
        total["round_seconds"], in_turn_s)
    latency = _measured(clean_run, "test_response_time_under_limit[PRF-05[/api/health]]")
    assert latency["requests"] == 20 and latency["statuses"] == [200] * 20 and len(latency["times_s"]) == 20
    assert latency["max_s"] == max(latency["times_s"]) and latency["p95_s"] <= latency["max_s"], latency
    usage = _measured(clean_run, "test_utilization_under_limits[PRF-06[monitor]]")
    [monitor] = usage["containers"].values()
    assert monitor["cpu_limited"] and monitor["cpu_limit_cores"] == 0.25 and monitor["memory_limit_mib"] == 128


def test_no_stack_fails_every_runtime_check_naming_what_is_missing(testbed, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    base = _testbed_config(testbed)
    config = derive_config(base, tmp_path, target={"stack": "prf-nothing-deployed",
                                                   "base_url": f"http://127.0.0.1:{port}"})
    run = run_gates(SELECT, config)
    failed = _failed(run)
    passed = {o.nodeid.rsplit("::", 1)[-1] for o in run.outcomes.values() if o.outcome == "passed"}
    assert passed == {"test_frontend_bundle_under_limit[PRF-01]", "test_pool_limit_declared[PRF-03]",
                        *(f"test_limits_declared[PRF-02[{s}]]" for s in base["target"]["services"])}, run.output
    assert failed["test_limits_in_force[PRF-02[app]]"] == (
        "PRF-02: service app: no running container in stack prf-nothing-deployed")
    assert failed["test_pool_holds_under_burst[PRF-03]"] == (
        "PRF-03: service app: no running container in stack prf-nothing-deployed")
    assert failed["test_stack_memory_total_under_limit[PRF-04]"].startswith(
        "PRF-04: stack prf-nothing-deployed: no running container for service(s) app, postgres, redis, nginx, monitor")
    assert failed["test_utilization_under_limits[PRF-06[redis]]"] == (
        "PRF-06: service redis: no running container in stack prf-nothing-deployed")
    refused = failed["test_response_time_under_limit[PRF-05[/api/health]]"]
    assert refused.startswith(f"PRF-05: GET http://127.0.0.1:{port}/api/health: 2 of 2 requests failed")
    assert "unreachable" in refused and "Traceback" not in run.output


def test_memory_total_over_a_lowered_limit_names_the_total_and_the_largest(testbed, tmp_path):
    base = _testbed_config(testbed)
    # 8 rounds 1 s apart: a 7 s window holds at least two runs of every container's 3 s healthcheck
    # (CPU spent inside it), so no container can be at 0 % CPU over the window.
    config = derive_config(base, tmp_path, performance={"memory_total_limit_mb": 16, "cpu_percent_limit": 0.001,
                                                        "stats_samples": 8, "stats_interval_s": 1.0})
    run = run_gates(["-m", "performance", "--nestgate-controls=PRF-04,PRF-06"], config)
    failed = _failed(run)
    total = failed["test_stack_memory_total_under_limit[PRF-04]"]
    assert total.startswith(f"PRF-04: stack {testbed.instance}: uses ") and "limit 16 MiB; largest: " in total
    cpu = {n: m for n, m in failed.items() if "PRF-06" in n}
    assert set(cpu) == {f"test_utilization_under_limits[PRF-06[{s}]]" for s in base["target"]["services"]}, failed
    for name, message in cpu.items():
        assert "% of its " in message and "CPU limit" in message and "limit 0.001 %" in message, (name, message)


def test_missing_build_output_fails_with_its_path(default_config, tmp_path):
    config = derive_config(default_config, tmp_path, target={"project_dir": str(tmp_path)})
    run = run_gates(["-m", "performance and declared", "--nestgate-controls=PRF-01"], config)
    [result] = run.by_control("PRF-01")
    assert result.outcome == "failed"
    assert result.message.splitlines()[0] == (
        f"PRF-01: evidence unavailable: frontend build output frontend/.next: {tmp_path}/frontend/.next "
        "does not exist (build the frontend first)")


def test_hanging_endpoint_counts_timeouts_as_failures_and_stops_early(default_config, tmp_path):
    with socket.create_server(("127.0.0.1", 0), backlog=64) as hang:  # accepts, never answers
        url = f"http://127.0.0.1:{hang.getsockname()[1]}"
        config = derive_config(default_config, tmp_path, target={"base_url": url},
                               performance={"response_time_limit_s": 0.2, "response_timeout_s": 0.5})
        run = run_gates(["-m", "performance", "--nestgate-controls=PRF-05"], config)
    [result] = run.by_control("PRF-05")
    assert result.outcome == "failed"
    first = result.message.splitlines()[0]
    assert first.startswith(f"PRF-05: GET {url}/api/health: 2 of 2 requests failed (GET {url}/api/health: "), first
    # A read timeout is worded as one (the Http probe raises it as itself, not as "unreachable").
    assert f"(GET {url}/api/health: no answer within 0.5 s" in first and "unreachable" not in first, first
    # Each failed request counts as having waited at least its 0.5 s timeout (no upper bound: load).
    assert float(re.search(r"\); p95 (\d+\.\d+) s", first).group(1)) >= 0.5, first
    assert first.endswith("over 2 requests, limit 0.2 s (stopped after 2 of 20: p95 and max over all are over)")


COMPOSE_FILE = """\
services:
  legacy:   # service-level keys: plain `docker compose` applies them, `docker stack deploy` ignores them
    image: {image}
    command: ["busybox", "sleep", "600"]
    init: true
    network_mode: none
    mem_limit: 64m
    cpus: 0.25
  modern:
    image: {image}
    command: ["busybox", "sleep", "600"]
    init: true
    network_mode: none
    deploy:
      resources:
        limits: {{memory: 32M, cpus: "0.1"}}
"""


@pytest.fixture
def compose_project(testbed, tmp_path):
    """A real plain-Compose project (not swarm) with both ways of declaring limits, up and running."""
    import subprocess

    from nestgate.probes.compose import compose_command
    from nestgate.testbed.images import base_tag

    project = tmp_path / "project"
    project.mkdir()
    (project / "compose.yml").write_text(COMPOSE_FILE.format(image=base_tag()))
    argv = [*compose_command(), "-f", str(project / "compose.yml"), "-p", "prf-compose-selftest"]
    subprocess.run([*argv, "up", "-d"], check=True, capture_output=True, timeout=120)
    try:
        yield project
    finally:
        subprocess.run([*argv, "down", "-t", "1"], check=False, capture_output=True, timeout=120)


def test_plain_compose_limits_both_ways_in_force_but_swarm_ignores_service_keys(compose_project, default_config,
                                                                                 tmp_path):
    target = {"orchestrator": "compose", "stack": "prf-compose-selftest", "project_dir": str(compose_project),
              "compose_files": ["compose.yml"], "services": ["legacy", "modern"]}
    (tmp_path / "compose").mkdir()
    run = run_gates(["-m", "performance", "--nestgate-controls=PRF-02"],
                    derive_config(default_config, tmp_path / "compose", target=target))
    assert run.failed_controls() == set(), run.output
    assert len(run.by_control("PRF-02")) == 4
    assert _measured(run, "test_limits_in_force[PRF-02[legacy]]")["in_force"] == {
        "prf-compose-selftest-legacy-1": "memory 64 MiB, cpus 0.25"}
    # The same file deployed with `docker stack deploy` would run `legacy` unlimited: said before deploying.
    (tmp_path / "swarm").mkdir()
    run = run_gates(["-m", "performance and declared", "--nestgate-controls=PRF-02"],
                    derive_config(default_config, tmp_path / "swarm", target={**target, "orchestrator": "swarm"}))
    assert _failed(run) == {"test_limits_declared[PRF-02[legacy]]": (
        "PRF-02: service legacy: declares no memory and no cpus limit (memory none, cpus none) in "
        "deploy.resources.limits; mem_limit/cpus set, which docker stack deploy ignores")}
