"""SEC-04 rules: what a hardened container looks like, declared (compose) and running (engine, /proc),
and where the two disagree. Pure functions over plain dicts and facts; each returns findings
naming the subject, the setting, the measured value and the expected one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.readers.proc_status import ProcessView

# Linux capability numbers (include/uapi/linux/capability.h).
CAPABILITIES = (
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP",
    "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
    "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
    "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
    "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
    "CHECKPOINT_RESTORE",
)
ROOT_USERS = {"", "root", "0"}


def cap_name(raw: str) -> str:
    """"CAP_SYS_ADMIN", "sys_admin" and "SYS_ADMIN" are one capability."""
    name = str(raw).strip().upper()
    return name[4:] if name.startswith("CAP_") else name


def decode_caps(mask: int) -> set[str]:
    """A /proc CapEff bit mask as capability names (unknown bits as CAP_<n>)."""
    return {CAPABILITIES[b] if b < len(CAPABILITIES) else f"CAP_{b}" for b in range(64) if mask >> b & 1}


def is_root_user(user: str | None) -> bool:
    """A compose/Config `user` that means root: unset, "root", "0", or "0:<gid>" / "root:<gid>"."""
    name = str(user or "").split(":", 1)[0].strip()
    return name in ROOT_USERS


def sensitive_source(source: str, sensitive: list[str]) -> str | None:
    """The sensitive host path a bind source is, or is under; docker.sock anywhere counts."""
    src = "/" + source.strip("/") if source else ""
    if src.endswith("/docker.sock"):
        return "docker socket"
    for path in sensitive:
        p = "/" + path.strip("/")
        if src == p or (p != "/" and src.startswith(p + "/")):
            return p
    return None


@dataclass(frozen=True)
class Intent:
    """The hardening-relevant settings of one service or container, in one comparable shape."""

    user: str
    privileged: bool
    cap_drop: frozenset[str]
    cap_add: frozenset[str]
    read_only: bool
    binds: frozenset[str]  # host paths bind-mounted
    host_namespaces: frozenset[str]  # of "network", "pid", "ipc" shared with the host

    def as_dict(self) -> dict[str, Any]:
        return {"user": self.user, "privileged": self.privileged, "cap_drop": sorted(self.cap_drop),
                "cap_add": sorted(self.cap_add), "read_only": self.read_only, "binds": sorted(self.binds),
                "host_namespaces": sorted(self.host_namespaces)}


def _intent(user: Any, privileged: Any, cap_drop: Any, cap_add: Any, read_only: Any, binds: set[str],
            host_ns: set[str]) -> Intent:
    """One comparable shape from either source: absent values are unset/false/empty."""
    return Intent(user=str(user or ""), privileged=bool(privileged),
                  cap_drop=frozenset(cap_name(c) for c in cap_drop or []),
                  cap_add=frozenset(cap_name(c) for c in cap_add or []),
                  read_only=bool(read_only), binds=frozenset(binds), host_namespaces=frozenset(host_ns))


def declared_intent(spec: dict[str, Any], networks: dict[str, dict[str, Any]]) -> Intent:
    """From a service of `compose config --format json` (and the top-level networks)."""
    host_ns = {kind for kind, key in (("network", "network_mode"), ("pid", "pid"), ("ipc", "ipc"))
               if str(spec.get(key) or "") == "host"}
    # Swarm style: attaching to the external network named "host".
    for net in spec.get("networks") or {}:
        if str((networks.get(net) or {}).get("name") or net) == "host":
            host_ns.add("network")
    binds = {str(v.get("source") or "") for v in spec.get("volumes") or []
             if isinstance(v, dict) and v.get("type") == "bind"}
    return _intent(spec.get("user"), spec.get("privileged"), spec.get("cap_drop"), spec.get("cap_add"),
                   spec.get("read_only"), binds, host_ns)


def running_intent(inspect: dict[str, Any]) -> Intent:
    """From `docker inspect` of a container."""
    host = inspect.get("HostConfig") or {}
    host_ns = {kind for kind, key in (("network", "NetworkMode"), ("pid", "PidMode"), ("ipc", "IpcMode"))
               if str(host.get(key) or "") == "host"}
    if "host" in ((inspect.get("NetworkSettings") or {}).get("Networks") or {}):
        host_ns.add("network")
    binds = {str(m.get("Source") or "") for m in inspect.get("Mounts") or [] if m.get("Type") == "bind"}
    return _intent((inspect.get("Config") or {}).get("User"), host.get("Privileged"), host.get("CapDrop"),
                   host.get("CapAdd"), host.get("ReadonlyRootfs"), binds, host_ns)


def intent_findings(subject: str, intent: Intent, allowed_caps: list[str], sensitive: list[str]) -> list[Finding]:
    """What is not hardened about these settings (the same rules declared and running)."""
    allowed = sorted({cap_name(c) for c in allowed_caps})
    out = []
    if is_root_user(intent.user):
        out.append(Finding(subject, "user", intent.user or "(unset)", "a non-root user"))
    if intent.privileged:
        out.append(Finding(subject, "privileged", True, False, says="privileged is true, expected false"))
    if "ALL" not in intent.cap_drop:
        out.append(Finding(subject, "cap_drop", sorted(intent.cap_drop), ["ALL"],
                           says=f"cap_drop is {sorted(intent.cap_drop)}, expected ['ALL']"))
    extra = sorted(intent.cap_add - set(allowed))
    if extra:
        out.append(Finding(subject, "cap_add", extra, allowed, says=f"cap_add {extra} not in the allow-list {allowed}"))
    if not intent.read_only:
        out.append(Finding(subject, "read_only", False, True,
                           says="root filesystem is writable (read_only false), expected read-only"))
    for src in sorted(intent.binds):
        what = sensitive_source(src, sensitive)
        if what:
            out.append(Finding(subject, "bind mount", src, "no sensitive host mount",
                               says=f"mounts host path {src} ({what}), expected no sensitive host mount"))
    for ns in sorted(intent.host_namespaces):
        out.append(Finding(subject, f"{ns} namespace", "host", "its own",
                           says=f"shares the host {ns} namespace, expected its own"))
    return out


def drift_findings(subject: str, declared: Intent, running: Intent) -> list[Finding]:
    """Settings where the running container differs from its declaration, showing both."""
    out = []
    for key, want in declared.as_dict().items():
        got = running.as_dict()[key]
        if key == "user" and want == "":
            continue  # no declared user: the image's USER applies; the UID check judges it
        if got != want:
            out.append(Finding(subject, key, got, want,
                               says=f"declared and running disagree on {key}: declared {want!r}, running {got!r}"))
    return out


def process_findings(subject: str, procs: list[ProcessView], allowed_caps: list[str]) -> list[Finding]:
    """The kernel's view of each process: UIDs, effective capabilities, NoNewPrivs."""
    allowed = sorted({cap_name(c) for c in allowed_caps})
    out = []
    for p in procs:
        who = f"process {p.pid} ({p.name})"
        if p.uid_effective == 0 or p.uid_real == 0:
            out.append(Finding(subject, f"{who} UID", f"{p.uid_real}/{p.uid_effective}", "non-root",
                               says=f"{who} runs as UID {p.uid_real}/{p.uid_effective} (real/effective), "
                                    "expected non-root"))
        caps = sorted(decode_caps(p.cap_eff) - set(allowed))
        if caps:
            out.append(Finding(subject, f"{who} CapEff", caps, f"none beyond {allowed}",
                               says=f"{who} has effective capabilities {caps} (CapEff {p.cap_eff:016x}), "
                                    f"expected none beyond {allowed}"))
        if not p.no_new_privs:
            out.append(Finding(subject, f"{who} NoNewPrivs", 0, 1,
                               says=f"{who} has NoNewPrivs 0, expected 1 (no-new-privileges)"))
    return out


def undeclared_finding(subject: str, service_label: str) -> Finding:
    """A running container no compose service declares: its settings cannot be held to a declaration."""
    return Finding(subject, "compose service", service_label or "(none)", "a declared service",
                   says=f"no compose service declares it (service label {service_label!r})")
