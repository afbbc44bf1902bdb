"""INF-03 rules: PostgreSQL answers SELECT 1, Redis answers PING, each app service reports its
database healthy. Also the reading of a service's own health report (a status in a JSON body,
judged against the healthy statuses), which INF-04 shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from nestgate.rules.findings import Finding

if TYPE_CHECKING:
    from nestgate.probes.data_clients import RedisPing

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


def reported_status(body: Any, field: str, status_field: str = "status") -> str | None:
    """The status a JSON body reports at a dotted field; None when there is none (or no body)."""
    node = json_at(body, field) if body is not None else MISSING
    return status_of(node, status_field) if node is not MISSING else None


def select_one_findings(service: str, where: str, ok: bool, exit_code: int, answer: str,
                        reason: str) -> list[Finding]:
    """psql's `SELECT 1` must exit 0 and print 1."""
    if ok and answer == "1":
        return []
    return [Finding(f"PostgreSQL service {service}", "SELECT 1", answer, "1",
                    says=f"{where} did not answer SELECT 1 (exit {exit_code}, answer {answer!r}): {reason}")]


def ping_findings(service: str, where: str, ping: RedisPing, password_from: str) -> list[Finding]:
    """redis-cli PING with the password must answer PONG."""
    if ping.reply == "PONG":
        return []
    said = f"answered {ping.reply!r}" + (f" (redis-cli: {ping.reason})" if ping.reason != ping.reply else "")
    return [Finding(f"Redis service {service} at {where}", "PING", ping.reply, "PONG",
                    says=f"did not answer PING with the password from {password_from}: {said}")]


def app_report_findings(service: str, request: str, http_status: int, body: Any, excerpt: str, field: str,
                        status: str | None, healthy: Sequence[str]) -> list[Finding]:
    """An app service's health JSON must report its database healthy at the configured field."""
    subject = f"app service {service}"
    if body is None:
        return [Finding(subject, "JSON body", None, "a JSON health report",
                        says=f"{request} answered HTTP {http_status} without a JSON body ({excerpt!r}): "
                             "no database report")]
    if status is None:
        return [Finding(subject, field, None, "a status",
                        says=f"{request} (HTTP {http_status}) has no status at {field!r}: no database report")]
    if not is_healthy(status, healthy):
        return [Finding(subject, field, status, f"one of {', '.join(healthy)}",
                        says=f"reports its database {status!r} at {field} of {request} (HTTP {http_status}); "
                             f"expected one of {', '.join(healthy)}")]
    return []
