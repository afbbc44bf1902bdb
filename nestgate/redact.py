"""Keep secret values out of every report, message and log: register them, scrub text."""

from __future__ import annotations

import re
import threading

MASK = "********"
# Shorter values would mask ordinary words; credentials are never this short.
MIN_LENGTH = 4

_PATTERNS = [
    # user:password@ in URLs
    (re.compile(r"(?P<pre>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)"), r"\g<pre>" + MASK),
    # Authorization: Bearer <token>
    (re.compile(r"(?i)(?P<pre>bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\g<pre>" + MASK),
]


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        if len(value) >= MIN_LENGTH:
            with self._lock:
                self._values.add(value)

    def scrub(self, text: str) -> str:
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, MASK)
        for pattern, repl in _PATTERNS:
            text = pattern.sub(repl, text)
        return text


REDACTOR = Redactor()
