"""PostgreSQL's pg_stat_activity, asked and read back: client backends by address and user."""

from __future__ import annotations

from dataclasses import dataclass

# pg_stat_activity rows, one per client backend: client address, user, hidden (another user's row
# that this role may not read in full: its address is NULL, so it cannot be attributed).
ACTIVITY_SQL = ("SELECT coalesce(host(client_addr), ''), usename, query = '<insufficient privilege>' "
                "FROM pg_stat_activity WHERE backend_type = 'client backend'")


@dataclass(frozen=True)
class Activity:
    from_service: int  # connections whose client address is one of the service's containers
    total: int  # every client backend
    hidden_users: tuple[str, ...]  # users whose rows this role cannot read


def parse_activity(text: str, ips: set[str]) -> Activity:
    """psql -A -t output of ACTIVITY_SQL ("addr|user|t/f" lines)."""
    rows = [line.split("|") for line in text.splitlines() if line.strip()]
    if any(len(r) != 3 for r in rows):
        raise ValueError(f"unexpected pg_stat_activity row: {next(r for r in rows if len(r) != 3)!r}")
    hidden = tuple(sorted({user for _, user, h in rows if h == "t"}))
    return Activity(sum(1 for addr, _, _ in rows if addr in ips), len(rows), hidden)
