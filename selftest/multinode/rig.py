"""A real two-node swarm on this machine, carrying the testbed instance's stack.

Two throwaway dockerds, each in a network namespace of its own (so each node's VXLAN sockets, overlay
sandboxes and docker_gwbridge are its own, as on two machines; the machine's shared swarm and its
bridges are never touched), joined over a veth link: a manager and a worker. The worker's namespace
also has a link to the host, where a real sshd listens: its testinfra `ssh://` host. Both share this
machine's PID namespace and files, so a command on either node sees its containers' /proc and cgroups.

The engines have no registry: the testbed images are loaded into each (`docker save | docker load`).
The instance's own compose file is deployed with a placement override (nestgate.testbed.placement).
"""

from __future__ import annotations

import random
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from nestgate.testbed import placement
from selftest.dockerd import Dockerd, free_tcp_port, serving
from selftest.multinode.sshd import Sshd, local_sshd

CONVERGE_TIMEOUT_S = 240
SPREAD = ["app"]  # one replica on each node
ON_WORKER = ["redis", "nginx", "monitor"]  # nginx: its host-mode port is reachable from here on the worker
ON_MANAGER = ["postgres"]


def sh(*argv: str, timeout: float = 60) -> None:
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(argv)}: {proc.stderr.strip()[-500:]}")


@dataclass
class Rig:
    manager: Dockerd
    worker: Dockerd
    manager_id: str
    worker_id: str
    worker_addr: str  # the worker's address on its link to the host
    sshd: Sshd

    def manager_client(self) -> docker.DockerClient:
        return self.manager.client()

    def worker_client(self) -> docker.DockerClient:
        return self.worker.client()


@contextmanager
def netns_pair(tag: str) -> Iterator[tuple[str, str, str, str]]:
    """Namespaces <tag>m and <tag>w, linked (10.231.N.1 <-> .2); the worker also linked to the host
    (10.232.N.1 here, .2 there). Yields (manager ns, worker ns, manager addr, worker's host-side addr)."""
    n = random.randint(16, 250)
    m, w = f"{tag}m", f"{tag}w"
    try:
        for ns in (m, w):
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", f"{tag}a", "type", "veth", "peer", "name", f"{tag}b")
        sh("ip", "link", "set", f"{tag}a", "netns", m)
        sh("ip", "link", "set", f"{tag}b", "netns", w)
        sh("ip", "-n", m, "addr", "add", f"10.231.{n}.1/24", "dev", f"{tag}a")
        sh("ip", "-n", w, "addr", "add", f"10.231.{n}.2/24", "dev", f"{tag}b")
        sh("ip", "link", "add", f"{tag}h", "type", "veth", "peer", "name", f"{tag}c")
        sh("ip", "link", "set", f"{tag}c", "netns", w)
        sh("ip", "addr", "add", f"10.232.{n}.1/24", "dev", f"{tag}h")
        sh("ip", "-n", w, "addr", "add", f"10.232.{n}.2/24", "dev", f"{tag}c")
        for ns, dev in ((m, f"{tag}a"), (w, f"{tag}b"), (w, f"{tag}c")):
            sh("ip", "-n", ns, "link", "set", dev, "up")
        sh("ip", "link", "set", f"{tag}h", "up")
        yield m, w, f"10.231.{n}.1", f"10.232.{n}.2"
    finally:
        subprocess.run(["ip", "link", "del", f"{tag}h"], capture_output=True, check=False)
        for ns in (m, w):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)


@contextmanager
def dockerd_in(netns: str, prefix: str) -> Iterator[Dockerd]:
    """A dockerd in a network namespace (nsenter --net: the mounts, /sys and PIDs stay the host's)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"unix://{root}/docker.sock"
    log = (root / "dockerd.log").open("w")
    proc = subprocess.Popen(
        ["nsenter", f"--net=/run/netns/{netns}", "dockerd", "-H", url, "--data-root", str(root / "data"),
         "--exec-root", str(root / "exec"), "--pidfile", str(root / "docker.pid"), "--bridge=none",
         "--iptables=false", "--ip-masq=false", "--no-new-privileges"], stdout=log, stderr=subprocess.STDOUT)
    ping = lambda d: docker.DockerClient(base_url=d.url, timeout=10, version="1.41").ping()  # noqa: E731
    with serving(Dockerd(url, root, proc), log, ping, f"dockerd in {netns}") as daemon:
        yield daemon


def load_images(images: list[str], engines: list[str]) -> None:
    """The testbed images into each engine at once: one `docker save` stream per engine (shared layers once)."""
    procs = [subprocess.Popen(f"docker save {' '.join(images)} | docker --host {url} load -q", shell=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for url in engines]
    for p in procs:
        _, err = p.communicate(timeout=600)
        if p.returncode != 0:
            pytest.fail(f"loading the testbed images failed: {err.strip()[-300:]}")


def deploy(rig: Rig, compose: Path, stack: str, secrets: dict[str, bytes], work: Path) -> None:
    mgr = rig.manager_client()
    for name, value in secrets.items():
        mgr.secrets.create(name=name, data=value)
    (work / "placement.yml").write_text(placement.render(
        SPREAD, {**{s: rig.worker_id for s in ON_WORKER}, **{s: rig.manager_id for s in ON_MANAGER}}))
    sh("docker", "--host", rig.manager.url, "stack", "deploy", "--resolve-image", "never", "-c", str(compose),
       "-c", str(work / "placement.yml"), stack, timeout=120)


def wait_running(rig: Rig, stack: str, expected: int) -> None:
    """Until `expected` tasks of the stack run and every container with a healthcheck is healthy."""
    deadline = time.monotonic() + CONVERGE_TIMEOUT_S
    while True:
        tasks = rig.manager_client().api.tasks(filters={"label": f"com.docker.stack.namespace={stack}",
                                                        "desired-state": "running"})
        running = [t for t in tasks if t["Status"]["State"] == "running"]
        health = [c.attrs["State"].get("Health", {}).get("Status", "healthy")
                  for cli in (rig.manager_client(), rig.worker_client())
                  for c in cli.containers.list(filters={"label": f"com.docker.stack.namespace={stack}"})]
        if len(running) >= expected and len(health) >= expected and all(h == "healthy" for h in health):
            return
        if time.monotonic() > deadline:
            states = sorted(f"{t['Status']['State']}:{t['Status'].get('Err', '')}" for t in tasks)
            pytest.fail(f"the two-node stack did not converge in {CONVERGE_TIMEOUT_S} s: {states}, health {health}")
        time.sleep(2)


@contextmanager
def two_node_swarm(tag: str) -> Iterator[Rig]:
    with ExitStack() as stack:
        m_ns, w_ns, m_addr, w_host_addr = stack.enter_context(netns_pair(tag))
        manager = stack.enter_context(dockerd_in(m_ns, "ng-mn-m-"))
        worker = stack.enter_context(dockerd_in(w_ns, "ng-mn-w-"))
        mgr, wkr = manager.client(), worker.client()
        w_addr = m_addr.rsplit(".", 1)[0] + ".2"
        mgr.swarm.init(advertise_addr=f"{m_addr}:2377", listen_addr=f"{m_addr}:2377",
                       data_path_port=free_tcp_port())
        wkr.swarm.join(remote_addrs=[f"{m_addr}:2377"], join_token=mgr.swarm.attrs["JoinTokens"]["Worker"],
                       listen_addr=f"{w_addr}:2377", advertise_addr=f"{w_addr}:2377")
        sshd = stack.enter_context(local_sshd(Path(manager.root) / "sshd", worker.url, w_ns, w_host_addr))
        yield Rig(manager, worker, mgr.info()["Swarm"]["NodeID"], wkr.info()["Swarm"]["NodeID"], w_host_addr, sshd)
