"""The rollback record a deploy wrapper may write, and the rollback drills on record (INF-08).

Rollback record (JSON): {"services": {"<service>": {"previous_image": "<image reference>"}}}.

Rollback drills: `nestgate deploy` writes <reports>/<timestamp>-deploy-<gates>/rollback.json after
a rollback, of kind "rollback" (the post-deploy gate failed) or "drill" (--rollback-drill: a
deliberate one, then rolled forward). A drill record file holds one such object or a list of them.
A rollback.json without "kind" predates drills: a real rollback.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    ValidationError,
    model_validator,
)

from nestgate.errors import EvidenceUnavailable

DEPLOY_RECORDS = "*-deploy*/rollback.json"  # under nestgate deploy's --reports


def read_record(path: Path) -> dict[str, str]:
    """Service -> previous image from the record file; a broken file is evidence unavailable."""
    data = _json(path, "rollback record")
    services = data.get("services") if isinstance(data, dict) else None
    if not isinstance(services, dict):
        raise EvidenceUnavailable(f"rollback record {path}: expected {{\"services\": {{...}}}} at the top level")
    out: dict[str, str] = {}
    for name, entry in services.items():
        image = entry.get("previous_image") if isinstance(entry, dict) else None
        if not isinstance(image, str) or not image.strip():
            raise EvidenceUnavailable(f"rollback record {path}: services.{name}.previous_image is not a string")
        out[str(name)] = image.strip()
    return out


class DrillRecord(BaseModel):
    """One rollback, timed from the rollback's start until the stack passed its check again. The
    fields nestgate deploy writes around it (INF-08 evidence) are kept as they are."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)

    kind: Literal["drill", "rollback"] = Field(description="drill: deliberate, then rolled forward")
    started: AwareDatetime
    finished: AwareDatetime
    seconds: StrictFloat = Field(ge=0, description="rollback start until restored (or until given up)")
    limit_s: StrictFloat = Field(gt=0, description="infra.rollback_limit_s when it ran")
    restored: StrictBool
    rolled_back: str = Field(min_length=1, description="what was rolled back, and how")
    rolled_forward: StrictBool | None = Field(None, description="a drill: back on the new release afterwards")

    @model_validator(mode="after")
    def _in_order(self) -> DrillRecord:
        if self.finished < self.started:
            raise ValueError("finished is before started")
        return self


@dataclass(frozen=True)
class Drill:
    source: str  # the file it was read from
    record: DrillRecord


@dataclass
class DrillScan:
    drills: list[Drill] = field(default_factory=list)  # kind "drill" only
    rollbacks: int = 0  # real rollbacks seen (they prove nothing was rehearsed)
    looked_in: list[str] = field(default_factory=list)


def read_drills(reports: Path | None, record: Path | None) -> DrillScan:
    """Every drill under nestgate deploy's reports folder and in the drill record file. An absent
    reports folder holds none; a configured record file that cannot be read, or any record that is
    not valid, is evidence unavailable (a broken record must not read as "no drill")."""
    scan = DrillScan()
    if reports is not None:
        scan.looked_in.append(f"{reports}/{DEPLOY_RECORDS}" + ("" if reports.is_dir() else " (no such folder)"))
        for path in sorted(reports.glob(DEPLOY_RECORDS)) if reports.is_dir() else []:
            data = _json(path, "rollback drill record")
            if isinstance(data, dict) and "kind" not in data:
                scan.rollbacks += 1  # written before drills existed: a real rollback
                continue
            _add(scan, path, data)
    if record is not None:
        scan.looked_in.append(str(record))
        data = _json(record, "rollback drill record")
        for i, entry in enumerate(data if isinstance(data, list) else [data]):
            _add(scan, record, entry, f"[{i}]" if isinstance(data, list) else "")
    return scan


def _add(scan: DrillScan, path: Path, data: Any, where: str = "") -> None:
    name = f"rollback drill record {path}{where}"
    if not isinstance(data, dict):
        raise EvidenceUnavailable(f"{name}: expected a JSON object, found {type(data).__name__}")
    try:
        drill = DrillRecord.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "record"
        raise EvidenceUnavailable(f"{name}: {key}: {err['msg']}") from None
    if drill.kind == "drill":
        scan.drills.append(Drill(f"{path}{where}", drill))
    else:
        scan.rollbacks += 1


def _json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvidenceUnavailable(f"{what} {path} cannot be read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise EvidenceUnavailable(f"{what} {path} is not valid JSON: {exc}") from None
