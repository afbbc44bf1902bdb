"""A TLS-protected engine reached with only the standard DOCKER_* variables.

A throwaway dockerd listens on 127.0.0.1:<port> with --tlsverify and a throwaway CA (openssl), and
runs its own one-node swarm (never the machine's shared one). INF-01, the smallest real read of an
engine's swarm state, runs against it with target.docker_host empty and DOCKER_HOST,
DOCKER_TLS_VERIFY, DOCKER_CERT_PATH set, as `docker` itself would use them:
- with the engine's CA and a client cert it signed: INF-01 passes, its evidence from that engine;
- with another CA: it fails closed with one line naming the endpoint, where its settings came
  from, and the certificate verification failure;
- with DOCKER_HOST alone (no TLS variables): the engine refuses plain HTTP, and INF-01 fails.
"""

from __future__ import annotations

import json

from selftest.conftest import derive_config
from selftest.dockerd import extra_dockerd, free_tcp_port
from selftest.gaterun import run_gates
from selftest.tls_ca import make_pki

SELECT = ["-m", "infra", "--nestgate-controls=INF-01"]


def test_tls_engine_with_only_docker_variables(default_config, tmp_path):
    pki, wrong = make_pki(tmp_path / "pki"), make_pki(tmp_path / "wrong", name="not-the-engines")
    config = derive_config(default_config, tmp_path, target={"docker_host": ""})
    with extra_dockerd("nestgate-tls-", tls=pki) as daemon:
        addr = f"127.0.0.1:{free_tcp_port()}"
        daemon.client().swarm.init(advertise_addr=addr, listen_addr=addr, data_path_port=free_tcp_port())
        node_id = daemon.client().info()["Swarm"]["NodeID"]
        env = {"DOCKER_HOST": daemon.tcp_url, "DOCKER_TLS_VERIFY": "1", "DOCKER_CONTEXT": ""}

        good = run_gates(SELECT, config, env={**env, "DOCKER_CERT_PATH": str(pki.dir)})
        [result] = good.by_control("INF-01")
        assert result.outcome == "passed", good.output[-2000:]
        [node] = json.loads(result.properties["nestgate.measured"])["node_states"]
        assert node_id[:12] in node, node  # the throwaway engine's own swarm, not the machine's
        assert f"GET /info on {daemon.tcp_url}" in result.properties["nestgate.sources"]

        bad = run_gates(SELECT, config, env={**env, "DOCKER_CERT_PATH": str(wrong.dir)})
        [result] = bad.by_control("INF-01")
        assert result.outcome == "failed", bad.output[-2000:]
        first = result.message.splitlines()[0]
        unreachable = f"INF-01: evidence unavailable: Docker engine unreachable at {daemon.tcp_url}: "
        assert first.startswith(f"{unreachable}TLS handshake failed: [SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                "verify failed: unable to get local issuer certificate"), first
        assert "(from DOCKER_HOST, TLS from DOCKER_CERT_PATH /" in first, first  # the path may be cut at 300 chars
        assert "Traceback" not in bad.output and bad.returncode == 1

        plain = run_gates(SELECT, config, env={"DOCKER_HOST": daemon.tcp_url, "DOCKER_TLS_VERIFY": "",
                                               "DOCKER_CERT_PATH": "", "DOCKER_CONTEXT": ""})
        [result] = plain.by_control("INF-01")
        assert result.outcome == "failed", plain.output[-2000:]
        assert result.message.startswith(unreachable), result.message
        assert result.message.endswith("(from DOCKER_HOST)"), result.message
