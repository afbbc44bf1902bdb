"""INF-08 rules: what counts as a rollback target for a built service (ready), and whether a recent
rollback drill restored the stack in time (tested).

A target finding's subject is the service's bare name ("app: no previous image recorded ..."), as
the deploy wrapper and the rollback record name services; a drill finding's is the drill's record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.rollback_record import Drill

CLOCK_SKEW = dt.timedelta(minutes=5)  # a drill "finished" later than now by more than this is not believed


def nothing_built(files: str) -> Finding:
    """No service of the compose files is built here: there is no image of ours to roll back."""
    return Finding(f"compose file(s) {files}", "services with build", [], "at least 1",
                   says="declare no service with build: nothing to roll back")


def built_not_deployed(service: str, stack: str) -> Finding:
    return Finding(service, "deployed", False, True, says=f"built service is not deployed in stack {stack}")


def previous_from(service: str, previous: str, origin: str, record: Mapping[str, str],
                  record_file: str) -> tuple[str, str]:
    """The previous image and where it came from: the engine's (swarm PreviousSpec) when it has one,
    else the rollback record's entry, else none (origin says which record had no entry)."""
    if previous:
        return previous, origin
    if service in record:
        return record[service], f"record {record_file}"
    return "", origin + (f", no entry in {record_file}" if record_file else "")


def rollback_findings(service: str, current: str, previous: str, origin: str, exists: bool | None) -> list[Finding]:
    """Why a service cannot be rolled back to `previous`; empty when it can (a different image that
    is present on the engine)."""
    if not previous:
        return [Finding(service, "previous image", "", "a recorded previous image",
                        says=f"no previous image recorded to roll back to ({origin}); current image {current}")]
    if previous == current:
        return [Finding(service, "previous image", previous, f"different from the current image {current}",
                        says=f"the previous spec ({origin}) runs the current image {current}: "
                             "nothing older to roll back to")]
    if not exists:
        return [Finding(service, "previous image present", False, True,
                        says=f"previous image {previous} ({origin}) is not present on the engine")]
    return []


def newest_drill(drills: Sequence[Drill]) -> Drill | None:
    return max(drills, key=lambda d: d.record.finished, default=None)


def drill_findings(drills: Sequence[Drill], now: dt.datetime, max_age_days: float, limit_s: float,
                   looked_in: str) -> list[Finding]:
    """The newest drill must have finished within the window, restored the stack, and done so
    within the rollback limit; empty when it did."""
    window = f"in the last {max_age_days:g} days"
    newest = newest_drill(drills)
    if newest is None:
        return [Finding("", "rollback drills", 0, f"at least one {window}",
                        says=f"no rollback drill recorded {window} (looked in {looked_in})")]
    drill, source = newest.record, newest.source
    finished = drill.finished.isoformat(timespec="seconds")
    age_days = (now - drill.finished).total_seconds() / 86400
    if drill.finished > now + CLOCK_SKEW:
        return [Finding(f"rollback drill {source}", "finished", finished,
                        f"not after now ({now.isoformat(timespec='seconds')})",
                        says=f"finished {finished}, in the future: a clock is wrong or the record is not real")]
    if age_days > max_age_days:
        return [Finding("", "newest drill age_days", round(age_days, 1), f"at most {max_age_days:g}",
                        # the age first: the paths after it may be cut from a capped message
                        says=f"no rollback drill recorded {window}: the newest finished {finished}, "
                             f"{age_days:.1f} days ago ({source}; looked in {looked_in})")]
    subject = f"rollback drill {source} (finished {finished})"
    if not drill.restored:
        return [Finding(subject, "restored", False, True,
                        says=f"did not restore the stack: gave up after {drill.seconds:.1f} s "
                             f"(limit {drill.limit_s:g} s); rolled back: {drill.rolled_back}")]
    if drill.seconds >= limit_s:  # the procedure: rollback "< 5 Minutes", so the limit itself fails
        return [Finding(subject, "seconds", round(drill.seconds, 1), f"under {limit_s:g}",
                        says=f"restored after {drill.seconds:.1f} s, not under the rollback limit of {limit_s:g} s")]
    return []
