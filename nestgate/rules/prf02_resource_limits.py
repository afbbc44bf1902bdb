"""PRF-02 rules (the limits also serve PRF-06): memory and CPU limits as declared in compose and
as in force, and where they are missing or disagree.

Declared: `deploy.resources.limits` is what `docker stack deploy` applies. Plain `docker compose`
also honours the service-level `mem_limit` / `cpus` keys, which swarm silently ignores, so those
count only for compose targets. Running: `HostConfig.Memory` (bytes, 0 = none) and either
`NanoCpus` (what swarm and `--cpus` set) or `CpuQuota`/`CpuPeriod` (0 = none).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nestgate.rules.findings import Finding

NANO = 1_000_000_000
# Compose reads memory like docker's go-units RAMInBytes: binary units, optional "i" and "b".
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?\s*$", re.IGNORECASE)
_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def parse_memory(value: Any) -> int | None:
    """Compose memory ("268435456", "256M", 268435456) in bytes; None when unset or unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    match = _MEMORY.match(str(value))
    if not match:
        return None
    return int(float(match.group(1)) * 1024 ** _POWER[match.group(2).lower()])


def parse_cpus(value: Any) -> int | None:
    """Compose cpus (0.75, "0.75") in nano-CPUs; None when unset or unreadable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return round(float(value) * NANO)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Limits:
    memory_bytes: int | None  # None or 0: no limit
    nano_cpus: int | None

    def describe(self) -> str:
        return f"memory {fmt_memory(self.memory_bytes)}, cpus {fmt_cpus(self.nano_cpus)}"


def fmt_memory(nbytes: int | None) -> str:
    if not nbytes:
        return "none"
    return f"{nbytes / 1024**2:g} MiB"


def fmt_cpus(nano: int | None) -> str:
    return "none" if not nano else f"{nano / NANO:g}"


@dataclass(frozen=True)
class DeclaredLimits:
    limits: Limits
    source: str  # which keys the limits came from
    ignored: str  # keys set but ignored by this orchestrator ("" when none)


def declared_limits(spec: dict[str, Any], orchestrator: str) -> DeclaredLimits:
    """A compose service spec (as `compose config --format json` resolves it) -> its limits."""
    deploy = ((spec.get("deploy") or {}).get("resources") or {}).get("limits") or {}
    from_deploy = Limits(parse_memory(deploy.get("memory")), parse_cpus(deploy.get("cpus")))
    legacy = Limits(parse_memory(spec.get("mem_limit")), parse_cpus(spec.get("cpus")))
    legacy_keys = [k for k in ("mem_limit", "cpus") if spec.get(k) not in (None, "")]
    if orchestrator == "swarm":
        ignored = (f"{'/'.join(legacy_keys)} set, which docker stack deploy ignores"
                   if legacy_keys and (not from_deploy.memory_bytes or not from_deploy.nano_cpus) else "")
        return DeclaredLimits(from_deploy, "deploy.resources.limits", ignored)
    merged = Limits(from_deploy.memory_bytes or legacy.memory_bytes, from_deploy.nano_cpus or legacy.nano_cpus)
    return DeclaredLimits(merged, "deploy.resources.limits, mem_limit, cpus", "")


def running_limits(inspect: dict[str, Any]) -> Limits:
    """The limits the engine enforces on a container, from `docker inspect`."""
    host = inspect.get("HostConfig") or {}
    memory = int(host.get("Memory") or 0) or None
    nano = int(host.get("NanoCpus") or 0)
    quota, period = int(host.get("CpuQuota") or 0), int(host.get("CpuPeriod") or 0) or 100_000
    if not nano and quota > 0:
        nano = round(quota / period * NANO)
    return Limits(memory, nano or None)


def missing(limits: Limits) -> list[str]:
    return [name for name, value in (("memory", limits.memory_bytes), ("cpus", limits.nano_cpus)) if not value]


def disagreements(declared: Limits, running: Limits) -> list[str]:
    """Where the running container's limits differ from the declared ones."""
    out = []
    if (declared.memory_bytes or None) != (running.memory_bytes or None):
        out.append(f"memory declared {fmt_memory(declared.memory_bytes)}, "
                   f"in force {fmt_memory(running.memory_bytes)}")
    if (declared.nano_cpus or None) != (running.nano_cpus or None):
        out.append(f"cpus declared {fmt_cpus(declared.nano_cpus)}, in force {fmt_cpus(running.nano_cpus)}")
    return out


def declared_findings(service: str, declared: DeclaredLimits) -> list[Finding]:
    """A service that declares no memory or no CPU limit (where this orchestrator reads them)."""
    absent = missing(declared.limits)
    if not absent:
        return []
    ignored = f"; {declared.ignored}" if declared.ignored else ""
    return [Finding(f"service {service}", "declared limits", declared.limits.describe(), "memory and cpus set",
                    says=f"declares no {' and no '.join(absent)} limit ({declared.limits.describe()}) "
                         f"in {declared.source}{ignored}")]


def in_force_findings(service: str, declared: Limits, in_force: Mapping[str, Limits]) -> list[Finding]:
    """Every running container (name -> limits in force) has both limits, equal to the declared ones."""
    out = []
    for name, running in in_force.items():
        absent = missing(running)
        if absent:
            out.append(Finding(f"service {service}", f"container {name} limits", running.describe(),
                               "memory and cpus set",
                               says=f"container {name} runs with no {' and no '.join(absent)} limit "
                                    f"(in force: {running.describe()}; declared: {declared.describe()})"))
        elif diff := disagreements(declared, running):
            out.append(Finding(f"service {service}", f"container {name} limits", running.describe(),
                               declared.describe(), says=f"container {name}: {'; '.join(diff)}"))
    return out
