"""A rollback, timed (INF-08): run it, wait until the stack passes its check again, and, for a
drill, roll forward to the new release. The steps that write to the world come from the caller:
`nestgate deploy` (its --rollback command, its post-deploy gate, DEPLOY_CMD again) and the
testbed's `up` (`docker service rollback`, convergence, a stack deploy). Both record the result in
the same format (nestgate.probes.rollback_record.DrillRecord), which INF-08 reads back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from nestgate.probes.rollback_record import DrillRecord
from nestgate.redact import REDACTOR

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RollbackSteps:
    rolled_back: str  # what is rolled back, and how (recorded)
    rollback: Callable[[float], bool]  # run the rollback, given the seconds it may take; True when it succeeded
    restored: Callable[[float], bool]  # until this time.monotonic() deadline: True once the stack passes again
    roll_forward: Callable[[], bool] | None = None  # a drill: back to the new release; True when that passed


@dataclass(frozen=True)
class Outcome:
    record: DrillRecord
    command_ok: bool
    command_s: float

    @property
    def passed(self) -> bool:
        """Restored within the limit, and a drill is back on the new release."""
        r = self.record
        return r.restored and r.seconds < r.limit_s and r.rolled_forward is not False  # "< 5 Minutes"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def run(steps: RollbackSteps, limit_s: float, kind: Literal["drill", "rollback"]) -> Outcome:
    """Time from the rollback's start until the check passes again (the rollback command gets the
    whole limit, the check what is left of it). A drill then rolls forward, whether or not the
    rollback restored the stack: the new release is the one that passed the post-deploy check."""
    if kind == "drill" and steps.roll_forward is None:
        raise ValueError("a rollback drill needs a roll forward")
    started, start = _now(), time.monotonic()
    # The rollback command is the user's (nestgate deploy --rollback): it may carry a credential.
    logger.info("%s: %s (limit %g s)", kind, REDACTOR.scrub(steps.rolled_back), limit_s)
    ok = steps.rollback(limit_s)
    command_s = time.monotonic() - start
    logger.info("%s: rollback command %s after %.1f s%s", kind, "done" if ok else "failed", command_s,
                "; waiting until the stack passes its check" if ok else "")
    restored = ok and steps.restored(start + limit_s)
    seconds, finished = time.monotonic() - start, _now()
    logger.info("%s: %s after %.1f s", kind, "restored" if restored else "not restored", seconds)
    forward = None
    if kind == "drill" and steps.roll_forward is not None:
        logger.info("drill: rolling forward to the new release")
        forward = steps.roll_forward()
        logger.info("drill: roll forward %s, %.1f s in all", "done" if forward else "failed",
                    time.monotonic() - start)
    record = DrillRecord(kind=kind, started=started, finished=finished, seconds=round(seconds, 2),
                         limit_s=float(limit_s), restored=restored, rolled_back=steps.rolled_back,
                         rolled_forward=forward)
    return Outcome(record, ok, round(command_s, 2))


def record_fields(record: DrillRecord) -> dict[str, Any]:
    """The record as JSON values (timestamps as UTC ISO 8601)."""
    return record.model_dump(mode="json")


def write(path: Path, data: dict[str, Any] | list[dict[str, Any]]) -> None:
    """Write a record file whole (a reader never sees half of one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
