"""The processes of a container as the kernel sees them: `docker top` for their host PIDs, then
/proc/<pid>/status for UIDs, effective capabilities and NoNewPrivs (what Config.User cannot show).

Needs the Docker host's /proc, i.e. nestgate running on the engine's host, not in a container:
a PID whose /proc entry is absent or belongs to another cgroup is evidence unavailable.
"""

from __future__ import annotations

from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.hardening import ProcessView
from nestgate.probes.engine import Engine
from nestgate.probes.engine_facts import ContainerFacts

PROC = Path("/proc")


def _status_fields(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def parse_status(pid: int, text: str) -> ProcessView:
    """/proc/<pid>/status: `Uid: real effective saved fs`, `CapEff: <hex>`, `NoNewPrivs: 0|1`."""
    f = _status_fields(text)
    try:
        uids = [int(x) for x in f["Uid"].split()]
        cap_eff = int(f["CapEff"], 16)
        nnp = f["NoNewPrivs"] == "1"
    except (KeyError, ValueError, IndexError) as exc:
        raise EvidenceUnavailable(f"/proc/{pid}/status lacks a readable {exc} field") from None
    return ProcessView(pid=pid, name=f.get("Name", "?"), uid_real=uids[0], uid_effective=uids[1],
                       cap_eff=cap_eff, no_new_privs=nnp)


def top_pids(engine: Engine, container: ContainerFacts) -> list[int]:
    raw = engine.call("container top", lambda api: api.top(container.id))
    titles = raw.get("Titles") or []
    if "PID" not in titles:
        raise EvidenceUnavailable(f"docker top {container.name} gave no PID column ({titles})")
    col = titles.index("PID")
    return [int(row[col]) for row in raw.get("Processes") or []]


def container_processes(engine: Engine, container: ContainerFacts) -> list[ProcessView]:
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
        views.append(parse_status(pid, status))
    if not views:
        raise EvidenceUnavailable(f"no process of container {container.name} could be read from /proc")
    return views
