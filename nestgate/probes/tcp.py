"""TCP connect probe: does anything accept a connection at host:port, seen from where nestgate runs?"""

from __future__ import annotations

import errno
import itertools
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

PARALLEL = 32


@dataclass(frozen=True)
class ConnectResult:
    host: str
    port: int
    outcome: str  # "connected", "refused", "timeout", "unreachable", or another errno name
    elapsed_s: float

    @property
    def connected(self) -> bool:
        return self.outcome == "connected"

    def describe(self) -> str:
        return f"{self.host}:{self.port} {self.outcome}"


def connect(host: str, port: int, timeout_s: float) -> ConnectResult:
    started = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            outcome = "connected"
    except ConnectionRefusedError:
        outcome = "refused"
    except TimeoutError:
        outcome = "timeout"
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            outcome = "unreachable"
        else:
            outcome = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    return ConnectResult(host, port, outcome, time.monotonic() - started)


def connect_all(targets: list[tuple[str, int]], timeout_s: float) -> list[ConnectResult]:
    """All connects at once: a blackholed address costs one timeout in total, not one each."""
    if not targets:
        return []
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(targets))) as pool:
        return list(pool.map(lambda t: connect(t[0], t[1], timeout_s), targets))


# -- which addresses a connect from this host really tests ----------------------------------
def _hex_ip(text: str) -> int:
    """/proc/net/route writes IPv4 addresses as little-endian hex."""
    return int.from_bytes(bytes.fromhex(text)[::-1], "big")


def _ip(addr: str) -> int:
    return int.from_bytes(socket.inet_aton(addr), "big")


def local_addresses() -> list[str]:
    """This host's own IPv4 addresses (the kernel's LOCAL routes); loopback at least."""
    found = {"127.0.0.1"}
    try:
        lines = Path("/proc/net/fib_trie").read_text().splitlines()
    except OSError:
        return sorted(found)
    for prev, line in itertools.pairwise(lines):
        if line.strip() == "/32 host LOCAL":
            found.add(prev.strip().lstrip("|-").strip())
    return sorted(found)


def directly_routed(addr: str) -> bool:
    """True when the host reaches `addr` on a link of its own (a bridge, a LAN), not through its
    default gateway. An overlay address is not: a connect to it would test some other machine
    (here, whatever the gateway answers), never the container."""
    try:
        target = _ip(addr)
    except OSError:
        return False
    if addr in local_addresses() or addr.startswith("127."):
        return True
    try:
        rows = Path("/proc/net/route").read_text().splitlines()[1:]
    except OSError:
        return False
    for row in rows:
        f = row.split()
        if len(f) >= 8 and _hex_ip(f[2]) == 0 and _hex_ip(f[7]) != 0 \
                and target & _hex_ip(f[7]) == _hex_ip(f[1]):
            return True
    return False
