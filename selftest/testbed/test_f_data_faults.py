"""Secrets, network isolation and database faults."""

from __future__ import annotations

import socket

from nestgate.testbed import Testbed, stack
from nestgate.testbed.faults.network import db_fault_port
from nestgate.testbed.run import client
from selftest.testbed.conftest import all_healthy, container, http, prefixed_secrets

GROUP = ["missing-secret", "db-port-published", "network-not-internal", "unversioned-secret",
         "backup-unreadable-table"]


def connects(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def pg_dump_as_app_role(tb: Testbed) -> tuple[int, str]:
    pg = container(tb, "postgres")
    password = tb.secret_file("postgres_password").read_text()
    code, out = pg.exec_run(["pg_dump", "-h", "127.0.0.1", "-U", "medianest", "-d", "medianest", "-f", "/dev/null"],
                            environment={"PGPASSWORD": password})
    return code, out.decode()


def test_data_faults_apply_and_remove(tb: Testbed) -> None:
    port = db_fault_port(tb.state.port)
    assert not connects(port)
    tb.apply_faults(GROUP)
    try:
        names = prefixed_secrets(tb)
        assert len(names) == 9 and f"{tb.instance}_nextauth_secret" in names
        declared = f"{tb.instance}_metrics_token_v2"
        assert declared in tb.compose_path.read_text() and declared not in names
        assert connects(port)
        nets = container(tb, "postgres").attrs["NetworkSettings"]["Networks"]
        assert set(nets) == {f"{tb.instance}_data", f"{tb.instance}_data-open"}
        assert client().networks.get(f"{tb.instance}_data-open").attrs["Internal"] is False
        code, out = pg_dump_as_app_role(tb)
        assert code != 0 and "permission denied" in out
        assert http(tb, "/health/ready").body["status"] == "ready"  # the app still reaches its database
    finally:
        tb.remove_faults(GROUP)
    names = prefixed_secrets(tb)
    assert len(names) == 9 and all(n.endswith("_v2") for n in names)
    assert not connects(port)
    assert not client().networks.list(names=[f"{tb.instance}_data-open"])
    assert pg_dump_as_app_role(tb)[0] == 0
    assert set(all_healthy(tb).values()) == {"1/1"}
    assert stack.services(tb.instance).keys() == {"app", "postgres", "redis", "nginx", "monitor"}
