"""INF-04 rules: a health endpoint answers 2xx within its timeout, and a status its JSON body carries
says healthy. The body's status is read as INF-03 reads an app's report (rules.inf03_database).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nestgate.rules.findings import Finding
from nestgate.rules.inf03_database import is_healthy, status_of


def body_status(body: Any, status_field: str) -> str | None:
    """The status a JSON object body carries; None when the body is not an object or has none."""
    return status_of(body, status_field) if isinstance(body, dict) else None


def unresponsive(path: str, waited_s: float, timeout_s: float, error: str) -> Finding:
    """No answer at all is the finding itself: the endpoint is not responsive."""
    return Finding(f"health endpoint {path}", "answered", False, f"2xx within {timeout_s:g} s",
                   says=f"not responsive after {waited_s:.1f} s (timeout {timeout_s:g} s): {error}")


def health_findings(path: str, http_status: int, elapsed_s: float, timeout_s: float, excerpt: str,
                    status: str | None, status_field: str, healthy: Sequence[str]) -> list[Finding]:
    """2xx, within the endpoint's timeout, and a body status (when there is one) that says healthy."""
    subject = f"health endpoint {path}"
    found = []
    if not 200 <= http_status < 300:
        found.append(Finding(subject, "HTTP status", http_status, "2xx",
                             says=f"answered HTTP {http_status} (expected 2xx): {excerpt!r}"))
    if elapsed_s > timeout_s:
        found.append(Finding(subject, "seconds", round(elapsed_s, 3), f"at most {timeout_s:g}",
                             says=f"took {elapsed_s:.2f} s (timeout {timeout_s:g} s)"))
    if status is not None and not is_healthy(status, healthy):
        found.append(Finding(subject, status_field, status, f"one of {', '.join(healthy)}",
                             says=f"answered HTTP {http_status} but its body says {status_field}={status!r} "
                                  f"(expected one of {', '.join(healthy)})"))
    return found
