"""Two moments: before the deploy only the compose file and the reports exist. Pointed at a stack
name nothing runs under (and a URL nobody answers), the declared checks still pass and every
runtime check of the stack fails, naming what it did not find; none skips.
"""

import tomllib

import pytest

from selftest.conftest import derive_config
from selftest.gaterun import run_gates


@pytest.fixture(scope="module")
def nostack_run(testbed, tmp_path_factory):
    base = tomllib.loads(testbed.config_path.read_text())
    sec = base["security"]
    # The derived file lives elsewhere: make the testbed's relative paths absolute.
    sec["scan"]["reports"] = [{**r, "path": str(testbed.state_dir / r["path"])} for r in sec["scan"]["reports"]]
    sec["auth"]["mint"]["secret"] = {"file": str(testbed.state_dir / sec["auth"]["mint"]["secret"]["file"])}
    config = derive_config(base, tmp_path_factory.mktemp("nostack"), target={
        "stack": "nestgate-nostack", "project_dir": str(testbed.project_dir), "base_url": "http://127.0.0.1:9",
        "call_timeout_s": 3.0})
    return run_gates(["-m", "security"], config)


DECLARED_BY_NAME = ("declared", "test_scan_reports", "test_config_secrets_are_strong")


def test_declared_checks_pass_without_a_stack(nostack_run):
    declared = [o for o in nostack_run.outcomes.values() if any(n in o.nodeid for n in DECLARED_BY_NAME)]
    # SEC-01, SEC-02 (config secrets, compose credentials), SEC-04 (one per compose service), SEC-05
    assert len(declared) == 9
    assert all(o.outcome == "passed" for o in declared), [(o.nodeid, o.message) for o in declared]


def test_every_runtime_check_fails_naming_what_is_missing(nostack_run):
    runtime = {o.nodeid.rsplit("::", 1)[-1]: o for o in nostack_run.outcomes.values()
               if not any(n in o.nodeid for n in DECLARED_BY_NAME)}
    # Swarm secrets exist before (and without) the stack: the age/naming check still has its evidence.
    ages = runtime.pop("test_secret_ages_and_versioned_names[SEC-06]")
    assert ages.outcome == "passed", ages.message
    assert len(runtime) == 12 and all(o.outcome == "failed" for o in runtime.values()), nostack_run.output
    assert "skipped" not in nostack_run.output.split("nestgate verdict")[-1]
    msg = {k: o.message for k, o in runtime.items()}
    assert msg["test_external_secrets_deployed[SEC-02]"].startswith(
        "SEC-02: stack nestgate-nostack: has no services")
    assert msg["test_login_logout_flow[SEC-03]"].startswith(
        "SEC-03: evidence unavailable: GET http://127.0.0.1:9/api/v1/health: unreachable")
    assert msg["test_running_hardening[SEC-04[app]]"].startswith(
        "SEC-04: service app: no running container in stack nestgate-nostack")
    assert msg["test_running_hardening_of_other_containers[SEC-04]"].startswith(
        "SEC-04: stack nestgate-nostack: no running containers")
    assert msg["test_running_segregation[SEC-05]"].startswith("SEC-05: stack nestgate-nostack: no running containers")
    assert msg["test_monitor_active_and_alerting[SEC-07]"].startswith(
        "SEC-07: monitor service monitor: no running container in stack nestgate-nostack")
    assert "SEC-06: stack nestgate-nostack: no service uses" in msg["test_rotation_drill[SEC-06[dry-run]]"]
