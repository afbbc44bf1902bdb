"""Engine endpoint resolution as the Docker CLI does it: pure (an env dict and a tmp HOME), with
contexts written by the real `docker context create` and certificates from a throwaway CA."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from nestgate.errors import EngineUnreachable
from nestgate.probes.engine import Engine
from nestgate.probes.engine_endpoint import DEFAULT_SOCKET, EndpointError, resolve
from selftest.tls_ca import Pki, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def docker_cli(home: Path, *args: str) -> None:
    """The real Docker CLI, with its config under `home` (contexts go to home/.docker)."""
    if shutil.which("docker") is None:
        pytest.fail("the docker CLI is not installed: these tests write contexts with it")
    done = subprocess.run(["docker", *args], env={"HOME": str(home), "PATH": "/usr/local/bin:/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr


def test_nothing_set_is_the_local_socket(tmp_path):
    ep = resolve("", {}, tmp_path)
    assert (ep.url, ep.tls, ep.source) == (DEFAULT_SOCKET, None, "the default socket")
    assert ep.client_kwargs() == {"base_url": DEFAULT_SOCKET}


def test_precedence_config_then_docker_host_then_docker_context_then_current(tmp_path):
    docker_cli(tmp_path, "context", "create", "cur", "--docker", "host=tcp://10.0.0.1:2375")
    docker_cli(tmp_path, "context", "create", "env", "--docker", "host=tcp://10.0.0.2:2375")
    docker_cli(tmp_path, "context", "use", "cur")
    env = {"DOCKER_HOST": "tcp://10.0.0.3:2375", "DOCKER_CONTEXT": "env"}
    assert resolve("unix:///run/x.sock", env, tmp_path).source == "target.docker_host"
    assert resolve("", env, tmp_path).url == "tcp://10.0.0.3:2375"
    assert resolve("", {"DOCKER_CONTEXT": "env"}, tmp_path).url == "tcp://10.0.0.2:2375"
    current = resolve("", {}, tmp_path)
    assert current.url == "tcp://10.0.0.1:2375" and current.tls is None
    assert current.source.startswith("docker context 'cur' (currentContext of ")
    # DOCKER_CONTEXT=default names the built-in context: the local socket, not the current one
    assert resolve("", {"DOCKER_CONTEXT": "default"}, tmp_path).url == DEFAULT_SOCKET


def test_docker_host_with_tls_verify_uses_the_cert_path(pki, tmp_path):
    env = {"DOCKER_HOST": "tcp://127.0.0.1:2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(pki.dir)}
    ep = resolve("", env, tmp_path)
    assert ep.tls is not None and ep.tls.verify
    assert (ep.tls.ca, ep.tls.cert, ep.tls.key) == (pki.ca, pki.cert, pki.key)
    kwargs = ep.client_kwargs()
    assert kwargs["tls"].verify is True and kwargs["tls"].ca_cert == str(pki.ca)
    assert kwargs["tls"].cert == (str(pki.cert), str(pki.key))
    assert "TLS verified" in ep.describe() and "DOCKER_CERT_PATH" in ep.describe()


def test_tls_without_cert_path_reads_the_docker_config_dir(pki, tmp_path):
    dot = tmp_path / ".docker"
    dot.mkdir()
    for f in (pki.ca, pki.cert, pki.key):
        shutil.copy(f, dot / f.name)
    ep = resolve("tcp://h:2376", {"DOCKER_TLS_VERIFY": "1"}, tmp_path)
    assert ep.tls is not None and ep.tls.ca == dot / "ca.pem"
    # DOCKER_TLS alone: TLS without verifying the engine's certificate
    ep = resolve("tcp://h:2376", {"DOCKER_TLS": "1"}, tmp_path)
    assert ep.tls is not None and not ep.tls.verify and ep.client_kwargs()["tls"].verify is False


def test_context_with_tls_material(pki, tmp_path):
    docker_cli(tmp_path, "context", "create", "prod", "--docker",
               f"host=tcp://127.0.0.1:2376,ca={pki.ca},cert={pki.cert},key={pki.key}")
    ep = resolve("", {"DOCKER_CONTEXT": "prod"}, tmp_path)
    assert ep.url == "tcp://127.0.0.1:2376" and ep.tls is not None and ep.tls.verify
    assert ep.tls.ca is not None and ep.tls.ca.read_bytes() == pki.ca.read_bytes()
    assert ep.tls.ca.parents[2] == tmp_path / ".docker" / "contexts" / "tls"
    assert ep.source == "docker context 'prod' (DOCKER_CONTEXT)"


def test_context_skip_tls_verify(pki, tmp_path):
    docker_cli(tmp_path, "context", "create", "lax", "--docker", "host=tcp://127.0.0.1:2376,skip-tls-verify=true")
    ep = resolve("", {"DOCKER_CONTEXT": "lax"}, tmp_path)
    assert ep.tls is not None and not ep.tls.verify


def test_ssh_hosts_use_the_ssh_binary(tmp_path):
    docker_cli(tmp_path, "context", "create", "far", "--docker", "host=ssh://ops@node2")
    ep = resolve("", {"DOCKER_CONTEXT": "far", "DOCKER_TLS_VERIFY": "1"}, tmp_path)
    assert ep.client_kwargs() == {"base_url": "ssh://ops@node2", "use_ssh_client": True}
    assert resolve("ssh://ops@node3:2222", {}, tmp_path).client_kwargs()["use_ssh_client"] is True


def test_docker_config_env_moves_the_store(tmp_path):
    store = tmp_path / "elsewhere"
    docker_cli(tmp_path, "--config", str(store), "context", "create", "moved", "--docker", "host=tcp://10.9.9.9:2375")
    docker_cli(tmp_path, "--config", str(store), "context", "use", "moved")
    assert resolve("", {"DOCKER_CONFIG": str(store)}, tmp_path).url == "tcp://10.9.9.9:2375"
    assert resolve("", {}, tmp_path).url == DEFAULT_SOCKET


@pytest.mark.parametrize(("host", "env", "says"), [
    ("", {"DOCKER_HOST": "htp://x"}, "DOCKER_HOST: 'htp://x' is not a Docker host (expected one of unix://"),
    ("localhost:2375", {}, "target.docker_host: 'localhost:2375' is not a Docker host"),
    ("tcp://", {}, "target.docker_host: 'tcp://' names no host"),
    ("", {"DOCKER_CONTEXT": "nope"}, "docker context 'nope' (DOCKER_CONTEXT) not found: no "),
    ("tcp://h:1", {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": "/nonexistent/certs"},
     "DOCKER_CERT_PATH /nonexistent/certs is not a directory"),
])
def test_bad_values_name_their_source(tmp_path, host, env, says):
    with pytest.raises(EndpointError) as err:
        resolve(host, env, tmp_path)
    assert str(err.value).startswith(says) and "\n" not in str(err.value)


def test_broken_store_files_name_the_file(pki, tmp_path):
    dot = tmp_path / ".docker"
    dot.mkdir()
    (dot / "config.json").write_text("{not json")
    with pytest.raises(EndpointError, match=r"config\.json: not readable JSON"):
        resolve("", {}, tmp_path)
    (dot / "config.json").write_text('{"currentContext": "half"}')
    docker_cli(tmp_path, "context", "create", "half", "--docker",
               f"host=tcp://127.0.0.1:2376,ca={pki.ca},cert={pki.cert},key={pki.key}")
    key = next((dot / "contexts" / "tls").rglob("key.pem"))
    key.unlink()
    with pytest.raises(EndpointError, match=r"^docker context 'half' \(currentContext of .*holds cert.pem without key"):
        resolve("", {}, tmp_path)
    certs = tmp_path / "certs"
    certs.mkdir()
    shutil.copy(pki.cert, certs / "cert.pem")
    with pytest.raises(EndpointError, match=r"^DOCKER_CERT_PATH .* holds cert.pem without key.pem"):
        resolve("tcp://h:1", {"DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": str(certs)}, tmp_path)


def test_engine_fails_closed_on_a_bad_endpoint(monkeypatch):
    """The Engine resolves at construction and fails its first call with the one-line reason."""
    monkeypatch.setenv("DOCKER_HOST", "bogus://where")
    engine = Engine("", 1, "s", "swarm")
    with pytest.raises(EngineUnreachable, match=r"^Docker engine endpoint unusable: DOCKER_HOST: 'bogus://where'"):
        engine.info()
