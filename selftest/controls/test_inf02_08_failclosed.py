"""The infra gate fails closed: with no stack deployed the runtime side fails (never skips) naming
the service, while the declared side still passes. An unreachable daemon and broken inputs (a
missing credential, a garbage rollback record, a missing .env.example) give one-line reasons,
never a traceback."""

from __future__ import annotations

import pytest

from selftest.conftest import derive_config, infra_config_of
from selftest.gaterun import GateRun, run_gates

CLOSED_URL = "http://127.0.0.1:9"  # the discard port: nothing listens


@pytest.fixture(scope="module")
def base(testbed) -> dict:
    return infra_config_of(testbed)


def first_lines(run: GateRun) -> dict[str, str]:
    return {o.nodeid.split("::")[-1]: o.message.splitlines()[0] for o in run.outcomes.values()
            if o.outcome != "passed"}


def assert_clean_failure_output(run: GateRun) -> None:
    assert "Traceback" not in run.output and "site-packages" not in run.output, run.output[-2000:]
    assert not [o for o in run.outcomes.values() if o.outcome == "skipped"]


def test_no_stack_runtime_fails_declared_passes(base, tmp_path):
    config = derive_config(base, tmp_path, target={"stack": "inf-nostack", "base_url": CLOSED_URL})
    run = run_gates(["-m", "infra"], config)
    assert_clean_failure_output(run)
    lines = first_lines(run)
    declared = [o for o in run.outcomes.values() if "declared" in o.nodeid]
    assert declared and all(o.outcome == "passed" for o in declared), lines
    assert lines["test_required_variables_running[INF-02[app]]"] == (
        "INF-02: service app: not deployed in stack inf-nostack (deployed: none)")
    assert lines["test_postgres_answers_select_1[INF-03]"] == (
        "INF-03: evidence unavailable: no running container of service 'postgres' in stack 'inf-nostack'")
    assert lines["test_redis_answers_ping_with_password[INF-03]"].endswith("service 'redis' in stack 'inf-nostack'")
    assert "unreachable" in lines["test_app_reports_database_reachable[INF-03[app]]"]
    assert lines["test_health_endpoint_answers_healthy[INF-04[/health]]"].startswith(
        "INF-04: health endpoint /health: not responsive after")
    assert "no running container of service 'postgres'" in lines["test_backup_restores_to_identical_copy[INF-05]"]
    assert lines["test_service_replicas_running_and_healthy[INF-06[redis]]"] == (
        "INF-06: service redis: not deployed in stack inf-nostack (deployed: none)")
    assert lines["test_error_rate_under_limit[INF-07]"] == (
        "INF-07: stack inf-nostack: no containers: no logs to read")
    assert lines["test_built_services_have_previous_image[INF-08]"] == (
        "INF-08: app: built service is not deployed in stack inf-nostack; "
        "monitor: built service is not deployed in stack inf-nostack")
    assert run.returncode == 1

    declared_only = run_gates(["-m", "infra and declared"], config)
    assert declared_only.returncode == 0, first_lines(declared_only)
    assert {o.properties["nestgate.control"] for o in declared_only.outcomes.values()} == {"INF-02", "INF-06"}


def test_unreachable_daemon_is_one_line_per_control(base, tmp_path):
    socket = f"unix://{tmp_path}/nobody.sock"
    config = derive_config(base, tmp_path, target={"docker_host": socket, "base_url": CLOSED_URL})
    run = run_gates(["-m", "infra and runtime"], config)
    assert_clean_failure_output(run)
    lines = first_lines(run)
    engine_controls = {k: v for k, v in lines.items() if "INF-03[app]" not in k and "INF-04" not in k}
    drill = "test_rollback_drill_recent_and_within_limit[INF-08]"  # reads a file, not the engine: passes
    assert engine_controls and set(lines) | {drill} == {o.nodeid.split("::")[-1] for o in run.outcomes.values()}
    assert drill not in lines
    for name, line in engine_controls.items():
        assert f"evidence unavailable: Docker engine unreachable at {socket}" in line, (name, line)


def test_broken_inputs_fail_their_controls_with_a_reason(base, tmp_path):
    record = tmp_path / "rollback.json"
    record.write_text("{ this is not json")
    infra = dict(base["infra"])
    infra["database"] = {**infra["database"], "password": {"env": "NESTGATE_SELFTEST_NO_SUCH_VAR"}}
    infra["env"] = {"env_example": "no-such.env.example"}
    infra["rollback"] = {"record_file": str(record)}
    config = derive_config(base, tmp_path, infra=infra)
    run = run_gates(["-m", "infra"], config)
    assert_clean_failure_output(run)
    lines = first_lines(run)
    # INF-09 reads the database with the same credential as INF-03 and INF-05
    assert run.failed_controls() == {"INF-02", "INF-03", "INF-05", "INF-08", "INF-09"}, lines
    missing = "credential not available: environment variable $NESTGATE_SELFTEST_NO_SUCH_VAR is not set"
    assert lines["test_postgres_answers_select_1[INF-03]"] == f"INF-03: evidence unavailable: {missing}"
    assert lines["test_backup_restores_to_identical_copy[INF-05]"] == f"INF-05: evidence unavailable: {missing}"
    for name in ("test_btree_indexes_pass_amcheck[INF-09]", "test_foreign_keys_have_no_orphan_rows[INF-09]"):
        assert lines[name].startswith("INF-09: evidence unavailable: ") and missing in lines[name], lines[name]
    assert lines["test_built_services_have_previous_image[INF-08]"].startswith(
        f"INF-08: evidence unavailable: rollback record {record} is not valid JSON")
    env_line = lines["test_required_variables_declared[INF-02[app]]"]
    assert env_line.startswith("INF-02: evidence unavailable: no required variables: infra.env.required is empty")
    assert "no-such.env.example cannot be read" in env_line
