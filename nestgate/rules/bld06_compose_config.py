"""BLD-06 rules: the real Compose CLI accepts the compose files and, for a swarm target, so does the
loader of `docker stack deploy`; and what stack deploy does with service options that Compose honours.

The tables follow the docker CLI's own (cli/compose/types: UnsupportedProperties, DeprecatedProperties,
ForbiddenProperties, CLI 23 and later) and the Compose file v3 reference's "ignored when deploying a
stack in swarm mode" notes: unsupported and deprecated options are dropped with a warning, forbidden
ones make the deploy fail, `profiles` is not in the stack loader's schema at all. Swarm also has no
start order, so `depends_on` (and any condition on it) is dropped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nestgate.rules.findings import Finding
from nestgate.rules.messages import capped, listed

if TYPE_CHECKING:
    from nestgate.probes.command import CommandResult

SOURCE = ("docker/cli cli/compose/types (UnsupportedProperties, DeprecatedProperties, ForbiddenProperties); "
          "docs.docker.com Compose file v3 reference (\"ignored when deploying a stack in swarm mode\")")

# Options a swarm deploy drops while Compose honours them: key -> (fails, why). `fails`: the file asks
# for something a swarm deploy will not do (a protection, an order, a name, a restart rule, a set of
# services), so a swarm-deployed file that sets it fails BLD-06. The others are noted in the evidence:
# harmless under swarm (`build:` next to an `image:` the pipeline builds first, `expose`).
SWARM_OPTIONS: dict[str, tuple[bool, str]] = {
    "security_opt": (True, "ignored: no-new-privileges/seccomp/apparmor must come from the daemon default"),
    "privileged": (True, "ignored: not supported by stack deploy"),
    "devices": (True, "ignored: not supported by stack deploy"),
    "network_mode": (True, "ignored: not supported by stack deploy"),
    "pid": (True, "ignored: not supported by stack deploy"),
    "ipc": (True, "ignored: not supported by stack deploy"),
    "userns_mode": (True, "ignored: not supported by stack deploy"),
    "cgroup_parent": (True, "ignored: not supported by stack deploy"),
    "cgroupns_mode": (True, "ignored: not supported by stack deploy"),
    "shm_size": (True, "ignored: not supported by stack deploy"),
    "mac_address": (True, "ignored: not supported by stack deploy"),
    "domainname": (True, "ignored: not supported by stack deploy"),
    "links": (True, "ignored: not supported by stack deploy (use networks)"),
    "external_links": (True, "ignored: not supported by stack deploy"),
    "restart": (True, "ignored: use deploy.restart_policy"),
    "container_name": (True, "ignored: swarm names its task containers"),
    "profiles": (True, "rejected by the stack loader: swarm has no profiles, every service is deployed"),
    "depends_on": (False, "ignored: swarm has no start order"),
    "depends_on condition": (True, "ignored: swarm has no start order, the condition is never waited for"),
    "build": (False, "ignored: stack deploy never builds, the image must exist first"),
    "build without image": (True, "stack deploy never builds and the service names no image to run"),
    "expose": (False, "deprecated: services on one network reach each other on any port"),
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
    fails: bool = False

    def __str__(self) -> str:
        return f"services.{self.service}.{self.option.split()[0]}: {self.why}"


def _set(value: Any) -> bool:
    # Compose prints some options with empty or false values; only a value that says something counts.
    return value not in (None, False, "", [], {}, 0)


def option_uses(services: Mapping[str, Mapping[str, Any]], table: dict[str, str]) -> list[OptionUse]:
    """The options of `table` that each service sets, in service and option order."""
    return [OptionUse(name, option, table[option])
            for name in sorted(services) for option in table if _set(services[name].get(option))]


def _swarm_keys(spec: Mapping[str, Any]) -> list[str]:
    keys = [k for k in SWARM_OPTIONS if " " not in k and _set(spec.get(k))]
    if "build" in keys and not spec.get("image"):
        keys[keys.index("build")] = "build without image"
    depends = spec.get("depends_on")
    # Compose prints every depends_on in map form; a condition other than service_started is the file's own.
    if isinstance(depends, Mapping) and any(isinstance(d, Mapping) and d.get("condition") not in
                                            (None, "service_started") for d in depends.values()):
        keys[keys.index("depends_on")] = "depends_on condition"
    return keys


def swarm_uses(services: Mapping[str, Mapping[str, Any]]) -> list[OptionUse]:
    """What a swarm deploy would drop or refuse, per service (by name) and option (table order)."""
    return [OptionUse(name, key, SWARM_OPTIONS[key][1], SWARM_OPTIONS[key][0])
            for name in sorted(services) for key in _swarm_keys(services[name])]


def compose_findings(files: str, result: CommandResult) -> list[Finding]:
    """`compose config --quiet` refused the files: Compose's own last error line."""
    if result.ok:
        return []
    return [Finding(f"Compose rejects {files}", "compose_config_exit_status", result.returncode, 0,
                    says=capped(result.last_error_line()))]


def stack_findings(files: str, result: CommandResult, rejected: Sequence[OptionUse],
                   errors: Sequence[str] | None = None) -> list[Finding]:
    """`docker stack config` refused the files: every loader error (stable order; else its one last
    line), and the options of the files that stack deploy forbids, when any."""
    if result.ok:
        return []
    said = listed(errors, sep="; ", more="more loader errors") if errors else capped(result.last_error_line())
    named = f" ({listed(map(str, rejected), sep='; ')})" if rejected else ""
    return [Finding(f"docker stack deploy would reject {files}", "stack_config_exit_status", result.returncode, 0,
                    says=capped(f"{said}{named}"))]


def swarm_findings(files: str, uses: Sequence[OptionUse]) -> list[Finding]:
    """The options a swarm deploy of the files would silently not honour: one finding each."""
    return [Finding(f"docker stack deploy would not do what {files} says", f"services.{u.service}.{u.option}",
                    u.option, "not set in a swarm-deployed file", says=str(u)) for u in uses if u.fails]
