"""Deliver a notification: POST JSON to a webhook, or run a command with the JSON on stdin.

Both return an outcome instead of raising: a notification that fails is recorded, never fatal.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

import requests

from nestgate.errors import EvidenceUnavailable, one_line
from nestgate.probes.command import run


@dataclass(frozen=True)
class Delivery:
    ok: bool
    message: str  # status line, exit status or the reason it failed (one line)
    duration_s: float


def without_path(text: str, url: str) -> str:
    """`text` with the URL's path, query and user info withheld: a webhook's path is often its
    credential (Slack, Teams), and requests puts the URL into its error messages."""
    parts = urllib.parse.urlsplit(url)
    secret_parts = [url, parts.path if len(parts.path) > 1 else "", parts.query, parts.netloc.rpartition("@")[0]]
    for part in sorted(filter(None, secret_parts), key=len, reverse=True):
        text = text.replace(part, "<withheld>")
    return text


def post_json(url: str, body: str, timeout_s: float) -> Delivery:
    try:
        resp = requests.post(url, data=body.encode("utf-8"), timeout=timeout_s, allow_redirects=False,
                             headers={"Content-Type": "application/json", "User-Agent": "nestgate-watch"})
    except requests.exceptions.Timeout:
        return Delivery(False, f"no answer within {timeout_s:g} s", timeout_s)
    except requests.exceptions.RequestException as exc:
        return Delivery(False, f"unreachable: {without_path(one_line(exc), url)}", 0.0)
    elapsed = resp.elapsed.total_seconds()
    if not 200 <= resp.status_code < 300:
        return Delivery(False, f"HTTP {resp.status_code}", elapsed)
    return Delivery(True, f"HTTP {resp.status_code}", elapsed)


def run_command(argv: list[str], body: str, timeout_s: float) -> Delivery:
    try:
        result = run(argv, timeout_s=timeout_s, stdin=body)
    except EvidenceUnavailable as exc:  # not found, timed out
        return Delivery(False, str(exc), timeout_s)
    except OSError as exc:  # not executable and the like
        return Delivery(False, f"{argv[0]}: {exc.strerror or exc}", 0.0)
    if not result.ok:
        return Delivery(False, f"exit status {result.returncode}: {result.last_error_line()[:200]}", result.duration_s)
    return Delivery(True, "exit status 0", result.duration_s)
