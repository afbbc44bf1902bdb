"""An ssh:// engine reached with only DOCKER_HOST and the operator's own ~/.ssh/config.

A throwaway dockerd runs its own one-node swarm (never the machine's shared one); Debian's sshd, with a
throwaway host key and client key, listens on 127.0.0.1 and points its sessions' DOCKER_HOST at that
dockerd, so the docker SDK's ssh transport (the ssh binary running `docker system dial-stdio` on the
far side, as the Docker CLI) reaches it. OpenSSH reads ~/.ssh from the passwd entry (/root), not $HOME:
each gate runs in a private mount namespace where an overlay on /root adds what an operator writes
in ~/.ssh/config (IdentityFile, UserKnownHostsFile, StrictHostKeyChecking yes, BatchMode yes); the
machine's /root is not written. INF-01, with target.docker_host empty and DOCKER_HOST=ssh://...:
- with the authorised key and the sshd's host key known: passes, its evidence from that engine;
- fails closed with one line naming the endpoint and ssh's own reason when the key is not
  authorised, when the host key is not known, when nothing listens;
- a port that accepts TCP and never sends the SSH banner fails within the call timeout (before
  engine_ssh, the SDK's read of ssh's stdout waited for good: the gate hung);
- the private key's content appears in no output.
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

from selftest.conftest import derive_config
from selftest.dockerd import extra_dockerd, free_tcp_port
from selftest.gaterun import GateRun, run_gates
from selftest.multinode.sshd import Sshd, local_sshd

SELECT = ["-m", "infra", "--nestgate-controls=INF-01"]
CALL_TIMEOUT_S = 3  # the silent port's run: ssh's ConnectTimeout is 2 s, the check's process timeout 3 s


def operator_home(root: Path, identity: Path, known_hosts: Path) -> list[str]:
    """An argv prefix: a private mount namespace whose /root is the machine's plus .ssh/config
    (an overlay, so the machine's /root stays as it is) with this Host block for 127.0.0.1."""
    upper, work = root / "upper", root / "work"
    (upper / ".ssh").mkdir(parents=True, mode=0o700, exist_ok=True)
    work.mkdir(exist_ok=True)
    (upper / ".ssh" / "config").write_text(
        f"Host 127.0.0.1\n  IdentityFile {identity}\n  UserKnownHostsFile {known_hosts}\n"
        "  StrictHostKeyChecking yes\n  BatchMode yes\n")
    mount = 'mount -t overlay overlay -o "lowerdir=/root,upperdir=$0/upper,workdir=$0/work" /root && exec "$@"'
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", mount, str(root)]


def key_body(path: Path) -> list[str]:
    """The lines of a private key that are secret (not its BEGIN/END armour)."""
    return [line for line in path.read_text().splitlines() if line and not line.startswith("-----")]


def inf01_failure(run: GateRun) -> str:
    [result] = run.by_control("INF-01")
    assert result.outcome == "failed", run.output[-2000:]
    assert "Traceback" not in run.output and run.returncode == 1, run.output[-2000:]
    return result.message.splitlines()[0]


def test_ssh_engine_with_only_docker_host_and_the_operators_ssh_config(default_config, tmp_path):
    config = derive_config(default_config, tmp_path, target={"docker_host": ""})
    env = {"DOCKER_CONTEXT": "", "DOCKER_TLS_VERIFY": "", "DOCKER_CERT_PATH": ""}
    with extra_dockerd("nestgate-sshengine-") as daemon, \
            local_sshd(tmp_path / "sshd", daemon.url, None, "127.0.0.1") as sshd:
        addr = f"127.0.0.1:{free_tcp_port()}"
        daemon.client().swarm.init(advertise_addr=addr, listen_addr=addr, data_path_port=free_tcp_port())
        node_id = daemon.client().info()["Swarm"]["NodeID"]
        url = sshd.spec()
        secrets = key_body(sshd.identity_file)

        def gate(name: str, identity: Path, known_hosts: Path, host: str = url, cfg: Path = config) -> GateRun:
            prefix = operator_home(tmp_path / name, identity, known_hosts)
            run = run_gates(SELECT, cfg, env={**env, "DOCKER_HOST": host}, prefix=prefix)
            assert not [s for s in secrets if s in run.output or s in json.dumps(run.outcomes, default=vars)]
            return run

        good = gate("good", sshd.identity_file, sshd.known_hosts)
        [result] = good.by_control("INF-01")
        assert result.outcome == "passed", good.output[-2000:]
        [node] = json.loads(result.properties["nestgate.measured"])["node_states"]
        assert node_id[:12] in node, node  # the throwaway engine's own swarm, not the machine's
        assert f"GET /info on {url}" in result.properties["nestgate.sources"]

        unreachable = f"INF-01: evidence unavailable: Docker engine unreachable at {url}: ssh: "
        other = _keypair(tmp_path / "other_key")
        first = inf01_failure(gate("unauthorised", other, sshd.known_hosts))
        assert first == f"{unreachable}root@127.0.0.1: Permission denied (publickey). (from DOCKER_HOST)", first

        (tmp_path / "no_known_hosts").write_text("")
        first = inf01_failure(gate("unknown-host", sshd.identity_file, tmp_path / "no_known_hosts"))
        assert first == f"{unreachable}Host key verification failed. (from DOCKER_HOST)", first

        closed = f"ssh://root@127.0.0.1:{free_tcp_port()}"
        started = time.monotonic()
        first = inf01_failure(gate("closed", sshd.identity_file, sshd.known_hosts, host=closed))
        baseline = time.monotonic() - started  # a run whose connect fails at once
        port = closed.rsplit(":", 1)[1]
        assert first == (f"INF-01: evidence unavailable: Docker engine unreachable at {closed}: ssh: connect to "
                         f"host 127.0.0.1 port {port}: Connection refused (from DOCKER_HOST)"), first

        _silent_port_fails_within_the_call_timeout(gate, sshd, default_config, tmp_path, baseline)


def _silent_port_fails_within_the_call_timeout(gate, sshd: Sshd, default_config: dict, tmp_path: Path,
                                               baseline: float) -> None:
    """A listener that never accepts: TCP connects (the backlog), the SSH banner never comes."""
    (tmp_path / "quick").mkdir()
    quick = derive_config(default_config, tmp_path / "quick", target={"docker_host": "",
                                                                      "call_timeout_s": CALL_TIMEOUT_S})
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        host = f"ssh://root@127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        first = inf01_failure(gate("silent", sshd.identity_file, sshd.known_hosts, host=host, cfg=quick))
        took = time.monotonic() - started
    print(f"silent port: the gate run took {took:.1f} s, a refused one {baseline:.1f} s")
    assert first.startswith(f"INF-01: evidence unavailable: Docker engine unreachable at {host}: ssh: Connection to "
                            f"127.0.0.1 port {host.rsplit(':', 1)[1]} timed out"), first
    # Measured: one connect attempt per run, ~3 s over a refused run. Bound: the run INF-01 alone makes
    # (at most two engines: the gate's and the fingerprint's), each within the call timeout, plus a second.
    assert took - baseline < 2 * CALL_TIMEOUT_S + 1, f"{took:.1f} s against a silent port, {baseline:.1f} s refused"


def _keypair(path: Path) -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True, timeout=30)
    return path
