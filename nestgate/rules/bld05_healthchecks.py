"""BLD-05 rules: can a declared healthcheck show the container healthy within the limit, and did
each running container become healthy within it."""

from __future__ import annotations

from nestgate.probes.readers.health_log import DeclaredCheck


def declared_problem(check: DeclaredCheck | None, limit_s: float) -> str:
    """Why this healthcheck cannot show the container healthy within the limit; "" when it can."""
    if check is not None and check.disabled:
        return "has its healthcheck disabled"
    if check is None or not check.test:
        return "declares no healthcheck"
    if check.interval_s >= limit_s:
        # The engine runs the first probe one interval after the start.
        return (f"healthcheck interval is {check.interval_s:g} s: its first probe runs {check.interval_s:g} s "
                f"after the start, not within the {limit_s:g} s limit")
    return ""
