"""Reading a service's own health report (INF-03, INF-04): find a status in a JSON body, judge it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MISSING = object()
# A list step `checks.database` matches the element whose one of these keys equals "database".
_LIST_KEYS = ("name", "id", "component", "service", "check")


def json_at(body: Any, dotted: str) -> Any:
    """The value at a dotted path (`checks.database`), or MISSING."""
    node = body
    for step in dotted.split("."):
        if isinstance(node, dict):
            if step not in node:
                return MISSING
            node = node[step]
        elif isinstance(node, list):
            matches = [e for e in node if isinstance(e, dict) and any(str(e.get(k)) == step for k in _LIST_KEYS)]
            if not matches:
                return MISSING
            node = matches[0]
        else:
            return MISSING
    return node


def status_of(node: Any, status_field: str = "status") -> str | None:
    """A status string from a report node: the string itself, a bool, or an object's status field."""
    if isinstance(node, bool):
        return "up" if node else "down"
    if isinstance(node, str):
        return node
    if isinstance(node, dict) and isinstance(node.get(status_field), (str, bool)):
        return status_of(node[status_field], status_field)
    return None


def is_healthy(status: str, healthy: Iterable[str]) -> bool:
    return status.strip().lower() in {h.strip().lower() for h in healthy}
