"""INF-08 rules: what counts as a rollback target for a built service.

A finding's subject is the service's bare name ("app: no previous image recorded ..."), as the
deploy wrapper and the rollback record name services.
"""

from __future__ import annotations

from collections.abc import Mapping

from nestgate.rules.findings import Finding


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
