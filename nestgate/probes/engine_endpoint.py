"""Which Docker engine to talk to, and how, resolved the way the Docker CLI resolves it.

Precedence (docker/cli `resolveContextName` and the default context): target.docker_host (the
CLI's -H) > DOCKER_HOST > DOCKER_CONTEXT > config.json `currentContext` > the local socket.
An explicit host or DOCKER_HOST takes its TLS from DOCKER_TLS_VERIFY / DOCKER_TLS /
DOCKER_CERT_PATH (as the CLI: any non-empty value switches it on); a context takes its endpoint
host and TLS material from the context store ($DOCKER_CONFIG or ~/.docker, then
contexts/meta/<sha256(name)>/meta.json and contexts/tls/<sha256(name)>/docker/). `ssh://` hosts
go through the ssh binary (`docker system dial-stdio` on the far side), as the CLI does.

Pure: reads only the environment mapping and the files under the given home it is handed. The SDK's
own context reader is not used: it reads the process environment and turns a broken context into
the local socket without a word, where a gate must say which context is broken.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from docker.tls import TLSConfig

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
SCHEMES = ("unix", "tcp", "ssh", "http", "https")
CA, CERT, KEY = "ca.pem", "cert.pem", "key.pem"


class EndpointError(ValueError):
    """The engine's address or its TLS material is unusable; the message names where it came from."""


@dataclass(frozen=True)
class Tls:
    """TLS towards the engine: the client cert and key (when present), the CA to verify against."""

    verify: bool
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    def config(self) -> TLSConfig:
        client_cert = (str(self.cert), str(self.key)) if self.cert and self.key else None
        return TLSConfig(client_cert=client_cert, ca_cert=str(self.ca) if self.ca else None, verify=self.verify)


@dataclass(frozen=True)
class Endpoint:
    url: str  # unix://, tcp://, ssh://... as configured
    source: str  # where it came from: "target.docker_host", "DOCKER_HOST", "docker context 'x' (...)"
    tls: Tls | None = None

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for docker.DockerClient / APIClient besides timeout and version."""
        kwargs: dict[str, Any] = {"base_url": self.url}
        if self.tls is not None:
            kwargs["tls"] = self.tls.config()
        if self.url.startswith("ssh://"):
            kwargs["use_ssh_client"] = True  # the ssh binary and its config, as the Docker CLI uses
        return kwargs

    def describe_source(self) -> str:
        tls = "" if self.tls is None else ", TLS verified" if self.tls.verify else ", TLS unverified"
        return f"from {self.source}{tls}"

    def describe(self) -> str:
        return f"{self.url} ({self.describe_source()})"


def config_dir(env: Mapping[str, str], home: Path) -> Path:
    return Path(env["DOCKER_CONFIG"]) if env.get("DOCKER_CONFIG") else home / ".docker"


def resolve(docker_host: str, env: Mapping[str, str], home: Path) -> Endpoint:
    """The engine endpoint nestgate uses, given target.docker_host, the environment and $HOME."""
    if docker_host:
        return _from_host(docker_host, "target.docker_host", env, home)
    if env.get("DOCKER_HOST"):
        return _from_host(env["DOCKER_HOST"], "DOCKER_HOST", env, home)
    if env.get("DOCKER_CONTEXT"):
        return _from_context(env["DOCKER_CONTEXT"], "DOCKER_CONTEXT", env, home)
    current = _current_context(env, home)
    if current:
        return _from_context(current, f"currentContext of {config_dir(env, home) / 'config.json'}", env, home)
    return _from_host(DEFAULT_SOCKET, "the default socket", env, home)


def _check_url(url: str, source: str) -> str:
    scheme = urlsplit(url).scheme
    if scheme not in SCHEMES:
        raise EndpointError(f"{source}: {url!r} is not a Docker host (expected one of "
                            f"{', '.join(s + '://' for s in SCHEMES)})")
    if scheme != "unix" and not urlsplit(url).hostname:
        raise EndpointError(f"{source}: {url!r} names no host")
    return url


def _from_host(url: str, source: str, env: Mapping[str, str], home: Path) -> Endpoint:
    """An explicit host: TLS from the DOCKER_TLS* variables, as the CLI's -H and DOCKER_HOST."""
    _check_url(url, source)
    verify = bool(env.get("DOCKER_TLS_VERIFY"))
    if not (verify or env.get("DOCKER_TLS")):
        return Endpoint(url, source)
    if url.startswith(("unix://", "ssh://")):
        return Endpoint(url, source)  # the CLI uses TLS only over TCP
    where = "DOCKER_CERT_PATH" if env.get("DOCKER_CERT_PATH") else "the default cert path"
    certs = Path(env["DOCKER_CERT_PATH"]) if env.get("DOCKER_CERT_PATH") else config_dir(env, home)
    if env.get("DOCKER_CERT_PATH") and not certs.is_dir():
        raise EndpointError(f"DOCKER_CERT_PATH {certs} is not a directory")
    # As the CLI: a file missing from the cert path is not used (no ca.pem: the system's CAs).
    found = {name: certs / name for name in (CA, CERT, KEY) if (certs / name).is_file()}
    if (CERT in found) != (KEY in found):
        raise EndpointError(f"{where} {certs} holds {CERT if CERT in found else KEY} without "
                            f"{KEY if CERT in found else CERT}")
    return Endpoint(url, f"{source}, TLS from {where} {certs}",
                    Tls(verify, found.get(CA), found.get(CERT), found.get(KEY)))


def _current_context(env: Mapping[str, str], home: Path) -> str:
    path = config_dir(env, home) / "config.json"
    if not path.is_file():
        return ""
    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EndpointError(f"{path}: not readable JSON ({exc})") from None
    current = raw.get("currentContext", "") if isinstance(raw, dict) else ""
    if not isinstance(current, str):
        raise EndpointError(f"{path}: currentContext is not a string")
    return current


def _from_context(name: str, source: str, env: Mapping[str, str], home: Path) -> Endpoint:
    if name == "default":  # the built-in context: DOCKER_HOST is unset here, so the local socket
        return _from_host(DEFAULT_SOCKET, f"docker context 'default' ({source})", env, home)
    label = f"docker context {name!r} ({source})"
    context_id = hashlib.sha256(name.encode()).hexdigest()
    store = config_dir(env, home) / "contexts"
    meta_path = store / "meta" / context_id / "meta.json"
    if not meta_path.is_file():
        raise EndpointError(f"{label} not found: no {meta_path}")
    try:
        meta = json.loads(meta_path.read_text())
        docker = meta["Endpoints"]["docker"]
        host, skip_verify = docker["Host"], bool(docker.get("SkipTLSVerify", False))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EndpointError(f"{label}: {meta_path} is not readable JSON ({exc})") from None
    except (KeyError, TypeError):
        raise EndpointError(f"{label}: {meta_path} has no Endpoints.docker.Host") from None
    if not isinstance(host, str) or not host:
        raise EndpointError(f"{label}: Endpoints.docker.Host is empty")
    _check_url(host, label)
    tls_dir = store / "tls" / context_id / "docker"
    found = {name: tls_dir / name for name in (CA, CERT, KEY) if (tls_dir / name).is_file()}
    if not found and not skip_verify:
        return Endpoint(host, label)  # no TLS material: plain TCP, as the CLI
    if host.startswith(("unix://", "ssh://")):
        return Endpoint(host, label)
    if (CERT in found) != (KEY in found):
        raise EndpointError(f"{label}: {tls_dir} holds {CERT if CERT in found else KEY} without "
                            f"{KEY if CERT in found else CERT}")
    return Endpoint(host, label, Tls(not skip_verify, found.get(CA), found.get(CERT), found.get(KEY)))
