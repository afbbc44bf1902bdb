"""The security monitor's alert list (GET [security.monitoring].alerts_path), as plain facts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.http import Http


@dataclass(frozen=True)
class Alert:
    id: int
    kind: str  # "test" for alerts raised on request (SEC-07's drill), else what the monitor saw
    source: str
    raised_at: str  # ISO 8601, as the monitor wrote it
    message: str


def monitor_alerts(http: Http, path: str) -> list[Alert]:
    """Every alert the monitor lists, oldest first. EvidenceUnavailable when it does not answer
    with an alert list (down, non-2xx, not JSON, no `alerts` array)."""
    result = http.get(path)
    if not 200 <= result.status < 300:
        raise EvidenceUnavailable(f"GET {result.url}: HTTP {result.status}, expected 2xx with the alert list")
    body = result.json()
    raw = body.get("alerts") if isinstance(body, dict) else None
    if not isinstance(raw, list):
        raise EvidenceUnavailable(f"GET {result.url}: no JSON 'alerts' array in the answer: {result.excerpt(120)!r}")
    return sorted((alert_from_raw(a) for a in raw if isinstance(a, dict)), key=lambda a: a.id)


def alert_from_raw(raw: dict[str, Any]) -> Alert:
    try:
        alert_id = int(raw.get("id") or 0)
    except (TypeError, ValueError):
        alert_id = 0
    return Alert(id=alert_id, kind=str(raw.get("kind", "")), source=str(raw.get("source", "")),
                 raised_at=str(raw.get("raised_at", "")), message=str(raw.get("message", ""))[:200])
