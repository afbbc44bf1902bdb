"""A throwaway certificate authority for self-tests: a CA, a server certificate for 127.0.0.1 and a
client certificate, made with the distribution's openssl (EC P-256 keys: milliseconds each)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
LEAF_EXT = ("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
            "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n")


@dataclass(frozen=True)
class Pki:
    """Files laid out as DOCKER_CERT_PATH wants them (ca.pem, cert.pem, key.pem) plus the server's."""

    dir: Path

    @property
    def ca(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def cert(self) -> Path:
        return self.dir / "cert.pem"

    @property
    def key(self) -> Path:
        return self.dir / "key.pem"

    @property
    def server_cert(self) -> Path:
        return self.dir / "server-cert.pem"

    @property
    def server_key(self) -> Path:
        return self.dir / "server-key.pem"


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        pytest.fail(f"openssl {args[0]} failed: {done.stderr.strip()}")


def make_pki(root: Path, name: str = "nestgate-test") -> Pki:
    """A CA named `name` and, signed by it, a server cert (IP 127.0.0.1) and a client cert."""
    root.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", *EC, "-keyout", "ca-key.pem", "-out", "ca.pem", "-days", "2",
             "-subj", f"/CN={name} CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=root)
    for leaf, cn, ext in (("server", "127.0.0.1", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"),
                          ("client", "nestgate", "extendedKeyUsage=clientAuth\n")):
        (root / f"{leaf}.ext").write_text(LEAF_EXT + ext)
        _openssl("req", *EC, "-keyout", f"{leaf}-key.pem", "-out", f"{leaf}.csr", "-subj", f"/CN={cn}", cwd=root)
        _openssl("x509", "-req", "-in", f"{leaf}.csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem", "-CAcreateserial",
                 "-out", f"{leaf}-cert.pem", "-days", "2", "-extfile", f"{leaf}.ext", cwd=root)
    (root / "client-cert.pem").rename(root / "cert.pem")
    (root / "client-key.pem").rename(root / "key.pem")
    return Pki(root)
