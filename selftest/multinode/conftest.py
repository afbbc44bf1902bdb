"""One two-node swarm per session (selftest.multinode.rig), carrying the testbed instance's stack,
and the configs that gate it: with the worker reached over ssh, and with no access to it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import tomli_w
import yaml

from nestgate.config import load_config
from selftest.multinode.rig import Rig, deploy, load_images, two_node_swarm, wait_running

TASKS = 6  # postgres, redis, nginx, monitor, and app on each node


@pytest.fixture(scope="session")
def rig(testbed, tmp_path_factory) -> Iterator[Rig]:
    compose = testbed.compose_path
    secrets = {name: testbed.secret_file(name).read_bytes()
               for name in (yaml.safe_load(compose.read_text()).get("secrets") or {})}
    with two_node_swarm(f"ng{os.getpid() % 10000}") as r:
        load_images(sorted(set(testbed.state.images.values())), [r.manager.url, r.worker.url])
        deploy(r, compose, testbed.instance, secrets, tmp_path_factory.mktemp("multinode"))
        wait_running(r, testbed.instance, TASKS)
        yield r


@pytest.fixture(scope="session")
def node_config(rig, testbed):
    """write(with_worker_access) -> a config beside the instance's own (its relative paths keep
    their meaning) for the two-node stack; removed at the end of the session."""
    import tomllib

    written: list[Path] = []

    def write(worker_access: bool) -> Path:
        data = tomllib.loads(testbed.config_path.read_text())
        data["target"]["docker_host"] = rig.manager.url
        data["target"]["base_url"] = f"http://{rig.worker_addr}:{testbed.state.port}"
        if worker_access:
            data["target"]["nodes"] = {rig.worker_id: {
                "host": rig.sshd.spec(), "identity_file": str(rig.sshd.identity_file),
                "known_hosts_file": str(rig.sshd.known_hosts)}}
        path = testbed.config_path.with_name(f"multinode-{os.getpid()}-{len(written)}.toml")
        path.write_text(tomli_w.dumps(data))
        written.append(path)
        load_config(path)  # a self-test must not pass because its own config was rejected
        return path

    yield write
    for path in written:
        path.unlink(missing_ok=True)
