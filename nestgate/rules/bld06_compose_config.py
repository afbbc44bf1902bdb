"""BLD-06 rules: the real Compose CLI accepts the compose files and, for a swarm target, so does the
loader of `docker stack deploy`; and what stack deploy does with service options that Compose honours.

The tables are the docker CLI's own (cli/compose/types: UnsupportedProperties, DeprecatedProperties,
ForbiddenProperties, CLI 23 and later): unsupported and deprecated options are dropped with a
warning, forbidden ones make the deploy fail. Swarm also has no start order, so `depends_on`
(and any condition on it) is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.command import CommandResult

SOURCE = "docker/cli cli/compose/types (UnsupportedProperties, DeprecatedProperties, ForbiddenProperties)"

IGNORED: dict[str, str] = {
    "build": "stack deploy never builds: the image must already exist",
    "cgroupns_mode": "not supported by stack deploy",
    "cgroup_parent": "not supported by stack deploy",
    "devices": "not supported by stack deploy",
    "domainname": "not supported by stack deploy",
    "external_links": "not supported by stack deploy",
    "ipc": "not supported by stack deploy",
    "links": "not supported by stack deploy (use networks)",
    "mac_address": "not supported by stack deploy",
    "network_mode": "not supported by stack deploy",
    "pid": "not supported by stack deploy",
    "privileged": "not supported by stack deploy",
    "restart": "ignored by stack deploy (use deploy.restart_policy)",
    "security_opt": "ignored by stack deploy (no-new-privileges must come from the daemon default)",
    "shm_size": "not supported by stack deploy",
    "userns_mode": "not supported by stack deploy",
    "container_name": "deprecated: setting the container name is not supported",
    "expose": "deprecated: services on the same network reach each other on any port",
    "depends_on": "swarm has no start order: depends_on and its conditions are ignored",
}

REJECTED: dict[str, str] = {
    "extends": "not implemented by stack deploy",
    "volume_driver": "define the volume's driver under top-level volumes",
    "volumes_from": "share volumes through top-level volumes",
    "cpu_quota": "set resource limits using deploy.resources",
    "cpu_shares": "set resource limits using deploy.resources",
    "cpuset": "set resource limits using deploy.resources",
    "mem_limit": "set resource limits using deploy.resources",
    "memswap_limit": "set resource limits using deploy.resources",
}


@dataclass(frozen=True)
class OptionUse:
    """A service that sets an option of one of the tables, and what stack deploy does with it."""

    service: str
    option: str
    why: str

    def __str__(self) -> str:
        return f"services.{self.service}.{self.option}: {self.why}"


def _set(value: Any) -> bool:
    # Compose prints some options with empty or false values; only a value that says something counts.
    return value not in (None, False, "", [], {}, 0)


def option_uses(services: Mapping[str, Mapping[str, Any]], table: dict[str, str]) -> list[OptionUse]:
    """The options of `table` that each service sets, in service and option order."""
    return [OptionUse(name, option, table[option])
            for name in sorted(services) for option in table if _set(services[name].get(option))]


def compose_findings(files: str, result: CommandResult) -> list[Finding]:
    """`compose config --quiet` refused the files: Compose's own last error line."""
    if result.ok:
        return []
    return [Finding(f"Compose rejects {files}", "compose_config_exit_status", result.returncode, 0,
                    says=result.last_error_line())]


def stack_findings(files: str, result: CommandResult, rejected: Sequence[OptionUse]) -> list[Finding]:
    """`docker stack config` refused the files: its last error line, and the options of the files
    that stack deploy forbids, when any."""
    if result.ok:
        return []
    named = f" ({'; '.join(map(str, rejected))})" if rejected else ""
    return [Finding(f"docker stack deploy would reject {files}", "stack_config_exit_status", result.returncode, 0,
                    says=f"{result.last_error_line()}{named}")]
