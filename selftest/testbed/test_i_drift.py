"""A service changed behind the testbed's back (an interrupted run, another process, a manual
`docker service update`) is redeployed by the next `up`, not trusted from the state file."""

import subprocess

from nestgate.testbed import stack


def _env(tb, service: str) -> list[str]:
    svc = stack.services(tb.instance)[service]
    return svc.attrs["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env") or []


def test_up_redeploys_a_service_whose_running_spec_drifted(tb):
    name = f"{tb.instance}_monitor"
    subprocess.run(["docker", "service", "update", "--detach", "--env-add", "NESTGATE_DRIFT=1", name],
                   check=True, capture_output=True, timeout=60)
    assert "NESTGATE_DRIFT=1" in _env(tb, "monitor")
    tb.up(port=tb.state.port)
    assert "NESTGATE_DRIFT=1" not in _env(tb, "monitor")
    assert tb.status().faults == []
