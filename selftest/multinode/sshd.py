"""A real OpenSSH server (Debian's openssh-server) for one self-test session, in a node's network
namespace and listening only on that node's address: a throwaway host key and client key, root login by
key only, and DOCKER_HOST set for its sessions (SetEnv) to the node's own engine, so a command run
through this ssh host sees what a shell on that node would: its docker CLI, its network, its /proc.
With no network namespace (netns None) it listens on `addr` in the host's own namespace (127.0.0.1:
an ssh:// engine endpoint for a test on this machine)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from selftest.dockerd import free_tcp_port

START_TIMEOUT_S = 20

# SHLVL=1: bash, run by sshd as a top-level shell, sources the user's ~/.bashrc even for `ssh host cmd`;
# root's here runs `pyenv init` (a rehash under a lock file: a session killed mid-rehash leaves the lock
# and every later session waits 60 s for it). From SHLVL 1 bash counts itself nested and skips it.
CONFIG = """\
ListenAddress {addr}
Port {port}
HostKey {root}/host_key
PidFile {root}/sshd.pid
AuthorizedKeysFile {root}/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv DOCKER_HOST={docker_host} SHLVL=1
"""


@dataclass(frozen=True)
class Sshd:
    addr: str
    port: int
    root: Path
    identity_file: Path
    known_hosts: Path

    def spec(self) -> str:
        return f"ssh://root@{self.addr}:{self.port}"


@contextmanager
def local_sshd(root: Path, docker_host: str, netns: str | None, addr: str) -> Iterator[Sshd]:
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists():
        pytest.fail("sshd is not installed: the multi-node self-test needs openssh-server (scripts/setup.sh)")
    root.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege separation directory
    for key in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(root / key)], check=True)
    shutil.copy(root / "client_key.pub", root / "authorized_keys")
    port = free_tcp_port()
    (root / "sshd_config").write_text(CONFIG.format(addr=addr, port=port, root=root, docker_host=docker_host))
    host_pub = (root / "host_key.pub").read_text().split()
    (root / "known_hosts").write_text(f"[{addr}]:{port} {host_pub[0]} {host_pub[1]}\n")
    log = (root / "sshd.log").open("w")
    enter = ["nsenter", f"--net=/run/netns/{netns}"] if netns is not None else []
    proc = subprocess.Popen([*enter, sshd, "-D", "-e", "-f", str(root / "sshd_config")],
                            stdout=log, stderr=subprocess.STDOUT)
    server = Sshd(addr, port, root, root / "client_key", root / "known_hosts")
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(server):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"sshd did not start; see {root}/sshd.log")
            time.sleep(0.3)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _answers(server: Sshd) -> bool:
    """One bounded login attempt: a loaded machine may be slow to answer, and a try that hangs must
    not outlast the start deadline."""
    try:
        return subprocess.run(["ssh", "-i", str(server.identity_file), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                               "-o", f"UserKnownHostsFile={server.known_hosts}", "-p", str(server.port),
                               f"root@{server.addr}", "true"], capture_output=True, timeout=10).returncode == 0
    except subprocess.TimeoutExpired:
        return False
