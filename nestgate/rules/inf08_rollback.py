"""INF-08 rules: what counts as a rollback target for a built service."""

from __future__ import annotations


def problem(service: str, current: str, previous: str, origin: str, exists: bool | None) -> str | None:
    """Why a service cannot be rolled back to `previous`; None when it can."""
    if not previous:
        return f"{service}: no previous image recorded to roll back to ({origin}); current image {current}"
    if previous == current:
        return (f"{service}: the previous spec ({origin}) runs the current image {current}: "
                "nothing older to roll back to")
    if not exists:
        return f"{service}: previous image {previous} ({origin}) is not present on the engine"
    return None
