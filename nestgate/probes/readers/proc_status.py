"""/proc/<pid>/status read into what SEC-04 judges: UIDs, effective capabilities, NoNewPrivs."""

from __future__ import annotations

from dataclasses import dataclass

from nestgate.errors import EvidenceUnavailable


@dataclass(frozen=True)
class ProcessView:
    """What the kernel says about one process of a container (from /proc/<pid>/status)."""

    pid: int
    name: str
    uid_effective: int
    uid_real: int
    cap_eff: int
    no_new_privs: bool


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
