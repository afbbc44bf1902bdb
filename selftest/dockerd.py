"""Extra, real Docker daemons for self-tests: each on its own socket, data root and exec root,
never part of the machine's shared swarm (what a self-test does to them touches no one else)."""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import docker
import pytest

from selftest.tls_ca import Pki

START_TIMEOUT_S = 60


@dataclass
class Dockerd:
    url: str
    root: Path
    proc: subprocess.Popen
    tcp_url: str = ""  # tcp://127.0.0.1:<port> when started with TLS (--tlsverify)

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.url, timeout=10)

    def stop(self) -> None:
        """Stop the daemon (idempotent): what a crashed or powered-off node looks like to a swarm."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@contextmanager
def extra_dockerd(prefix: str = "nestgate-dockerd-", tls: Pki | None = None) -> Iterator[Dockerd]:
    """A daemon on its own unix socket; with `tls`, also on 127.0.0.1:<free port> with --tlsverify
    (clients need a certificate signed by tls's CA)."""
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed: the self-tests need a real Docker engine")
    # A short path: a unix socket path may not exceed 107 bytes.
    root = Path(tempfile.mkdtemp(prefix=prefix))
    url = f"unix://{root}/docker.sock"
    tcp_url = f"tcp://127.0.0.1:{free_tcp_port()}" if tls else ""
    tls_args = ["-H", tcp_url, "--tlsverify", f"--tlscacert={tls.ca}", f"--tlscert={tls.server_cert}",
                f"--tlskey={tls.server_key}"] if tls else []
    log = (root / "dockerd.log").open("w")
    proc = subprocess.Popen(
        ["dockerd", "-H", url, *tls_args, "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "--pidfile", str(root / "docker.pid"), "--bridge=none", "--iptables=false", "--ip-masq=false"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    with serving(Dockerd(url, root, proc, tcp_url), log, lambda d: d.client().ping(), "extra dockerd") as daemon:
        yield daemon


@contextmanager
def serving(daemon: Dockerd, log: IO[str], ping: Callable[[Dockerd], object], what: str) -> Iterator[Dockerd]:
    """The started daemon once `ping` answers (fails the test after START_TIMEOUT_S or if it exits);
    on leaving: stopped, its log closed, its data root unmounted and removed."""
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                ping(daemon)
                break
            except Exception:
                if daemon.proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"{what} did not start; see {daemon.root}/dockerd.log")
                time.sleep(0.3)
        yield daemon
    finally:
        daemon.stop()
        log.close()
        _unmount_under(daemon.root)
        shutil.rmtree(daemon.root, ignore_errors=True)


def _unmount_under(root: Path) -> None:
    """dockerd leaves its data root bind-mounted after it exits; unmount before removing."""
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for point in sorted((m for m in mounts if m.startswith(str(root))), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, timeout=30, check=False)


def free_tcp_port(low: int = 20000, high: int = 49151) -> int:
    """A free port in [low, high]: swarm refuses ports outside 1024-49151 (the data path port
    among them), and the kernel's ephemeral range lies above that."""
    for port in random.sample(range(low, high + 1), 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free TCP port in {low}-{high}")
