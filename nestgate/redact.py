"""Keep secret values out of every report, message and log: register them, scrub text.

Two layers. Registered values (credentials read through `probes/credentials.read_secret`, every
secret the target config references, secret-named variables of nestgate's environment) are
masked wherever they appear, also JSON- and URL-encoded. Patterns mask what looks like a
credential even when nobody registered it: passwords in URLs, bearer/basic tokens, cookies,
JWTs, `*_PASSWORD=...` assignments and `"token": "..."` JSON members.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, TextIO

MASK = "********"
# Shorter values would mask ordinary words; credentials are never this short.
MIN_LENGTH = 4
# A variable found only by its name gets a higher bar ("true", "none" are not credentials).
MIN_LENGTH_BY_NAME = 8

# A name marks a credential when it ENDS in one of these: POSTGRES_PASSWORD, csrf_token, jwt_secret,
# but not POSTGRES_PASSWORD_FILE, token_rejected or medianest_jwt_secret_v2 (a secret's name).
_KEYWORDS = r"(?:password|passwd|pwd|secret(?:[_-]?key)?|token|api[_-]?key|private[_-]?key|credentials?|cookie)s?"
SECRET_NAME = re.compile(rf"(?i){_KEYWORDS}$")
# The shell's working-directory variables end in "pwd" but hold paths, not passwords.
NOT_SECRET_NAMES = {"PWD", "OLDPWD"}
_COOKIE_ATTRS = {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority"}


def _cookie_pairs(match: re.Match[str]) -> str:
    def pair(m: re.Match[str]) -> str:
        return m[0] if m[1].strip().lower() in _COOKIE_ATTRS else f"{m[1]}={MASK}"

    return match["pre"] + re.sub(r"([^=;,\s]+)=([^;,\s]*)", pair, match["val"])


_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # user:password@ in URLs
    (re.compile(r"(?P<pre>[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+(?=@)"), r"\g<pre>" + MASK),
    # Bearer <token> wherever it appears; Basic <b64> after an Authorization header
    (re.compile(r"(?i)(?P<pre>\bbearer\s+)(?!\*{8})[A-Za-z0-9._~+/=-]{8,}"), r"\g<pre>" + MASK),
    (re.compile(r"(?i)(?P<pre>authorization[\"']?\s*[:=]\s*[\"']?basic\s+)[A-Za-z0-9+/=]{4,}"), r"\g<pre>" + MASK),
    # token-bearing headers written as "Header: value"
    (re.compile(r"(?i)(?P<pre>\b(?:x-api-key|x-auth-token|x-csrf-token|proxy-authorization)[\"']?\s*[:=]\s*[\"']?)"
                r"[^\s\"',}]+"), r"\g<pre>" + MASK),
    # Cookie / Set-Cookie headers: mask each value, keep names and attributes
    (re.compile(r"(?i)(?P<pre>\b(?:set-)?cookie[\"']?\s*[:=]\s*[\"']?)(?P<val>[^\r\n\"']+)"), _cookie_pairs),
    # requests' cookie jar repr: <Cookie token=abc for localhost/>
    (re.compile(r"(?P<pre><Cookie\s+[^=\s]+=)[^\s>]+"), r"\g<pre>" + MASK),
    # JSON web tokens, wherever they appear
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MASK),
    # "password": "value" in JSON (string values only: JSON stays valid, booleans stay readable)
    (re.compile(rf"(?i)(?P<pre>\"[^\"]*{_KEYWORDS}\"\s*:\s*\")(?:[^\"\\]|\\.)+(?=\")"), r"\g<pre>" + MASK),
    # NAME_PASSWORD=value, --password=value, ?token=value
    (re.compile(rf"(?i)(?P<pre>(?<![\w.-])[\w.-]*{_KEYWORDS}=)(?!\*{{8}})[^\s&;\"',]+"), r"\g<pre>" + MASK),
]


# Every pattern above needs one of these words: text without any of them (most evidence strings)
# skips the pattern pass. Case-insensitive, so a superset: a false hit only costs time.
_PATTERN_HINT = re.compile(rf"(?i)://|bearer|authorization|x-api-key|x-auth-token|x-csrf-token|cookie|eyJ|{_KEYWORDS}")


def _variants(value: str) -> set[str]:
    """The value and the encodings it takes in JSON and URLs."""
    return {value, json.dumps(value)[1:-1], urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()
        self._literal: re.Pattern[str] | None = None  # every registered value, longest first

    def add(self, value: str, min_length: int = MIN_LENGTH) -> None:
        found = {v for raw in {value, value.strip()} for v in _variants(raw) if len(v) >= min_length}
        if len(value.strip()) >= min_length and not found <= self._values:
            with self._lock:
                self._values |= found
                ordered = sorted(self._values, key=len, reverse=True)
                self._literal = re.compile("|".join(map(re.escape, ordered)))

    def add_secret_env(self, environ: dict[str, str] | None = None) -> None:
        """Variables whose name marks them secret (POSTGRES_PASSWORD, METRICS_TOKEN, ...)."""
        for name, value in (os.environ if environ is None else environ).items():
            if SECRET_NAME.search(name) and name not in NOT_SECRET_NAMES:
                self.add(value, MIN_LENGTH_BY_NAME)

    def scrub(self, text: str) -> str:
        if len(text) < MIN_LENGTH:
            return text
        literal = self._literal
        if literal is not None:
            text = literal.sub(MASK, text)
        if _PATTERN_HINT.search(text):
            for pattern, repl in _PATTERNS:
                text = pattern.sub(repl, text)
        return text

    def scrub_any(self, value: Any) -> Any:
        """Scrub the strings inside plain data (tuples of a skip longrepr, property values)."""
        if isinstance(value, str):
            return self.scrub(value)
        if isinstance(value, tuple):
            return tuple(self.scrub_any(v) for v in value)
        if isinstance(value, list):
            return [self.scrub_any(v) for v in value]
        if isinstance(value, dict):
            # a string under a secret-named key is masked whole, as the JSON pattern does in text
            return {self.scrub(str(k)): MASK if isinstance(v, str) and v and SECRET_NAME.search(str(k))
                    else self.scrub_any(v) for k, v in value.items()}
        return value


REDACTOR = Redactor()


def register_config_secrets(model: Any, resolve: Callable[[str], Any]) -> list[str]:
    """Register every credential the target config references (env var or file).

    Controls read credentials lazily; registering them up front masks them even in output a
    control did not expect (a debug print, a library's log line). Returns what was not readable.
    """
    from nestgate.config.base import SecretRef

    missing = []
    for ref in _secret_refs(model, SecretRef):
        try:
            value = os.environ.get(ref.env) if ref.env else resolve(ref.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            value = None
        if value:
            REDACTOR.add(value.rstrip("\r\n"))
        else:
            missing.append(ref.describe())
    return missing


def _secret_refs(obj: Any, kind: type) -> Iterable[Any]:
    if isinstance(obj, kind):
        yield obj
    elif hasattr(obj, "__pydantic_fields__"):
        for name in type(obj).__pydantic_fields__:
            yield from _secret_refs(getattr(obj, name), kind)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            yield from _secret_refs(item, kind)
    elif isinstance(obj, dict):
        for item in obj.values():
            yield from _secret_refs(item, kind)


# -- logging and direct output ------------------------------------------------------------
_factory_installed = False


def install_log_scrubber() -> None:
    """Scrub every log record at creation, so live logs, captured logs and handlers agree."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; keep the raw text
            message = str(record.msg)
        record.msg, record.args = REDACTOR.scrub(message), ()
        if record.exc_info:
            record.exc_text = REDACTOR.scrub(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


class ScrubbingStream:
    """Wraps stdout/stderr when pytest does not capture (-s): prints are scrubbed too."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(REDACTOR.scrub(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
