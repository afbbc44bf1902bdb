"""TCP connect probe: does anything accept a connection at host:port, seen from where nestgate runs?
The route readers take text, so a node's tables read through its host (nestgate.probes.nodes_read) judge alike."""

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


def addresses_in(fib_trie: str) -> list[str]:
    """A host's own IPv4 addresses from its /proc/net/fib_trie (the kernel's LOCAL routes); loopback at least."""
    found = {"127.0.0.1"}
    for prev, line in itertools.pairwise(fib_trie.splitlines()):
        if line.strip() == "/32 host LOCAL":
            found.add(prev.strip().lstrip("|-").strip())
    return sorted(found)


def routed_in(addr: str, fib_trie: str, route: str) -> bool:
    """True when a host (its fib_trie and route tables) reaches `addr` on a link of its own (a bridge,
    a LAN), not through its default gateway. An overlay address is not: a connect to it would test
    some other machine (here, whatever the gateway answers), never the container."""
    try:
        target = _ip(addr)
    except OSError:
        return False
    if addr in addresses_in(fib_trie) or addr.startswith("127."):
        return True
    for row in route.splitlines()[1:]:
        f = row.split()
        if len(f) >= 8 and _hex_ip(f[2]) == 0 and _hex_ip(f[7]) != 0 \
                and target & _hex_ip(f[7]) == _hex_ip(f[1]):
            return True
    return False


def _proc_net(name: str) -> str:
    try:
        return Path("/proc/net", name).read_text()
    except OSError:
        return ""


def local_addresses() -> list[str]:
    """This host's own IPv4 addresses; loopback at least."""
    return addresses_in(_proc_net("fib_trie"))


def directly_routed(addr: str) -> bool:
    """routed_in for this host."""
    return routed_in(addr, _proc_net("fib_trie"), _proc_net("route"))
