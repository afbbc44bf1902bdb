"""The processes of a container as the kernel sees them: the host PIDs from the container's own
cgroup (`cgroup.procs`, found through /proc/<init pid>/cgroup; `docker top` only when that cannot be
read), then /proc/<pid>/status for UIDs, effective capabilities and NoNewPrivs (what Config.User
cannot show). The cgroup read costs no API call and no `ps` run by the engine, so checking 200
containers costs what checking 5 does, plus file reads.

Needs the Docker host's /proc, i.e. nestgate running on the engine's host, not in a container:
a PID whose /proc entry is absent or belongs to another cgroup is evidence unavailable.
"""

from __future__ import annotations

import time
from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.cgroup_stats import CGROUP_ROOT, PROC
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts
from nestgate.probes.readers.proc_status import ProcessView, parse_status


def top_pids(engine: Engine, container: ContainerFacts) -> list[int]:
    raw = engine.call("container top", lambda api: api.top(container.id))
    titles = raw.get("Titles") or []
    if "PID" not in titles:
        raise EvidenceUnavailable(f"docker top {container.name} gave no PID column ({titles})")
    col = titles.index("PID")
    return [int(row[col]) for row in raw.get("Processes") or []]


def cgroup_dirs(cgroup_text: str, container_id: str) -> list[Path]:
    """Where the container's cgroup.procs can be: the v1 `pids` hierarchy, then the v2 (unified or
    hybrid) one. Only paths that name the container; the order is that of the host's layouts."""
    out = []
    for line in cgroup_text.splitlines():
        _, controllers, path = [*line.split(":", 2), "", ""][:3]
        if container_id not in path:
            continue
        rel = path.lstrip("/")
        if "pids" in controllers.split(","):
            out.insert(0, CGROUP_ROOT / "pids" / rel)
        elif controllers == "":
            out += [CGROUP_ROOT / rel, CGROUP_ROOT / "unified" / rel]
    return out


def cgroup_pids(container: ContainerFacts) -> list[int] | None:
    """The container's PIDs from its cgroup; None when the cgroup cannot be read here."""
    if not container.pid:
        return None
    try:
        text = (PROC / str(container.pid) / "cgroup").read_text()
    except OSError:
        return None
    for directory in cgroup_dirs(text, container.id):
        try:
            return [int(x) for x in (directory / "cgroup.procs").read_text().split()]
        except (OSError, ValueError):
            continue
    return None


# `docker exec` (a healthcheck) briefly shows runc's init stage inside the container's cgroup, as
# root with every capability, before it drops them and execs the command in the same PID. That
# stage is judged by what it becomes; one still in it after the grace period is judged as it is.
RUNC_INIT = "runc:["
RUNC_INIT_GRACE_S = 2.0


def _after_exec(pid: int, view: ProcessView) -> ProcessView | None:
    """The process once runc's init stage has exec'd the command; None if it exited."""
    deadline = time.monotonic() + RUNC_INIT_GRACE_S
    while time.monotonic() < deadline:
        time.sleep(0.02)
        try:
            current = parse_status(pid, (PROC / str(pid) / "status").read_text())
        except FileNotFoundError:
            return None
        except OSError:
            return view
        if not current.name.startswith(RUNC_INIT):
            return current
    return view


def container_processes(engine: Engine, container: ContainerFacts) -> list[ProcessView]:
    pids = cgroup_pids(container)
    if pids is None:
        pids = top_pids(engine, container)
    if not pids:
        raise EvidenceUnavailable(f"container {container.name} has no processes (docker top is empty)")
    views = []
    for pid in pids:
        try:
            cgroup = (PROC / str(pid) / "cgroup").read_text()
            status = (PROC / str(pid) / "status").read_text()
        except FileNotFoundError:
            # Exited between top and read (a healthcheck): not part of the container any more.
            if (PROC / "1").exists() and pid != container.pid:
                continue
            raise EvidenceUnavailable(f"/proc/{pid} of container {container.name} is not visible here: "
                                      "nestgate must run on the Docker host (not remote, not in a container)"
                                      ) from None
        except OSError as exc:
            raise EvidenceUnavailable(f"cannot read /proc/{pid} of container {container.name}: {exc.strerror}"
                                      ) from None
        if container.id not in cgroup:
            raise EvidenceUnavailable(f"/proc/{pid} is not a process of container {container.name} (its cgroup "
                                      "does not name it): nestgate must run on the Docker host's PID namespace")
        view = parse_status(pid, status)
        if view.name.startswith(RUNC_INIT):
            view = _after_exec(pid, view)
            if view is None:
                continue
        views.append(view)
    if not views:
        raise EvidenceUnavailable(f"no process of container {container.name} could be read from /proc")
    return views
