"""SEC-07 logic: how old a monitor's heartbeat is, from its JSON answer; and the monitor's rules:
its containers healthy, its health endpoint 2xx, its heartbeat fresh, its test alert raised in time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nestgate.probes.readers.timestamps import parse_time
from nestgate.rules.findings import Finding
from nestgate.rules.sec03_auth import expect, json_path

if TYPE_CHECKING:
    from nestgate.probes.engine_facts import ContainerFacts


def heartbeat_age_s(body: Any, age_field: str, time_field: str, now: dt.datetime) -> tuple[float | None, str]:
    """(age in seconds, where it came from); None with the reason when the answer has neither."""
    if time_field:
        stamp = parse_time(json_path(body, time_field))
        if stamp is None:
            return None, f"no ISO 8601 timestamp at {time_field!r}"
        return (now - stamp).total_seconds(), f"timestamp {time_field}"
    value = json_path(body, age_field)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"no number at {age_field!r}"
    return float(value), f"field {age_field}"


def health_findings(service: str, containers: Sequence[ContainerFacts]) -> list[Finding]:
    """Every running container of the monitor service is healthy (no healthcheck is not healthy)."""
    return [Finding(f"monitor service {service}", f"container {c.name} health", c.health or "no healthcheck",
                    "healthy", says=f"{c.name} is {c.health or 'without healthcheck'}, expected healthy")
            for c in containers if c.health != "healthy"]


def heartbeat_findings(subject: str, path: str, status: int, age_s: float | None, how: str, excerpt: str,
                       max_age_s: float) -> list[Finding]:
    """The heartbeat answer is 2xx-ish (< 300), carries an age, and that age is within the max."""
    if status >= 300 or age_s is None:
        return [Finding(subject, "heartbeat", f"HTTP {status}, {how}", "a heartbeat age",
                        says=f"heartbeat: GET {path} answered {status} with no usable heartbeat ({how}): "
                             f"{excerpt!r}")]
    if age_s > max_age_s:
        return [Finding(subject, "heartbeat_age_s", round(age_s, 1), f"<= {max_age_s:g}",
                        says=f"heartbeat: GET {path} is {age_s:.1f} s old, max {max_age_s:g} s")]
    return []


def alert_findings(subject: str, marker: str, alert_path: str, post_status: int, alerts_path: str,
                   seen_after_s: float | None, deadline_s: float) -> list[Finding]:
    """The test alert is accepted (2xx) and shows up in the alerts listing within the deadline
    (seen_after_s is None when the control's polling, which stops at the deadline, never saw it)."""
    if refused := expect("test alert", "POST", alert_path, post_status, "2xx", subject=subject):
        return refused
    if seen_after_s is None:
        return [Finding(subject, "alert_seen_after_s", seen_after_s, f"<= {deadline_s:g}",
                        says=f"test alert {marker} (POST {alert_path} -> {post_status}) not raised in "
                             f"GET {alerts_path} within {deadline_s:g} s")]
    return []
