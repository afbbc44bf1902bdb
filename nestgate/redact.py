"""Keep secret values out of every report, message and log: register them, scrub text.

Two layers. *By value*: every registered value (credentials read through
`probes/credentials.read_secret`, every secret the target config references, and the value of every
variable in nestgate's environment whose name says secret) is masked wherever it appears, also
JSON- and URL-encoded, whatever its length. *By rule*: what looks like a credential is masked even
when nobody registered it: passwords in URLs, bearer/basic tokens, cookies, JWTs, PEM private-key
blocks, and the value of any secret-named variable, key or JSON field (`NAME=value`, `NAME: value`
at the start of a line as YAML and `env` dumps write it, `"name": "value"`, environment lists).

A name says secret (`is_secret_name`) when one of its word parts (split at `_ - .` and camelCase) is
PASS, PWD, KEY, AUTH, SESSION, PRIVATE or ends in PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN,
CREDENTIAL, COOKIE, APIKEY, and only value qualifiers (BASE, VALUE, HASH, ...) follow it:
ENCRYPTION_KEY, AWS_SECRET_ACCESS_KEY, SECRET_KEY_BASE, key_base, DB_PASS, PGPASSWORD, apiKey. Not:
keyboard, monkey, bypass (no such word part); keys_total, token_rejected, POSTGRES_PASSWORD_FILE,
medianest_jwt_secret_v2 (the part after the word makes it a count, a flag, a path, a secret's name).

Short values and public names. A value of STRONG_LENGTH or more is masked wherever it occurs; a
shorter one only as a whole token (not next to a letter, digit or underscore), so a 3-character
password does not punch holes in ordinary words or identifiers (medianest_jwt_secret_v2). Every
string of the target config is public (stack, services, users, database names, URLs). When a secret
occurs *inside* a longer public name, that name is printed whole: with POSTGRES_PASSWORD=medianest
the stack stays "medianest-staging". Masking it to "********-staging" would tell anyone who knows
the stack name what the password is; printed whole, the name says nothing about which part, if any,
is a secret, and every other occurrence of the value is still masked. A public name *equal* to a
secret is masked like the secret (it cannot be told apart); that weak secret is SEC-02's finding to
report, not the redactor's to hide.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any, TextIO

MASK = "********"
# Values this long are masked wherever they occur; shorter ones only as whole tokens (see above).
STRONG_LENGTH = 12
# A variable found only by its name may hold a flag rather than a credential (USE_SECRETS=true):
# these values are not credentials and masking them would corrupt JSON and prose.
NOT_CREDENTIALS = {"true", "false", "yes", "no", "on", "off", "none", "null", "0", "1"}
# The shell's working-directory variables end in "pwd" but hold paths, not passwords.
NOT_SECRET_NAMES = {"PWD", "OLDPWD"}

_WORDS = {"pass", "pwd", "key", "auth", "session", "private"}  # whole word parts only ("bypass", "monkey")
_ENDINGS = ("password", "passwd", "passphrase", "secret", "token", "credential", "cookie", "apikey", "accesskey",
            "secretkey", "privatekey")  # also inside a part: PGPASSWORD, csrftoken, clientsecret
# Parts that may follow the secret word and still name its value (SECRET_KEY_BASE, password_hash).
_QUALIFIERS = {"base", "value", "hash", "hex", "b64", "base64", "raw", "plain", "str", "string", "data"}


def _is_secret_word(part: str) -> bool:
    singular = part[:-1] if part.endswith("s") and part not in _WORDS else part
    return singular in _WORDS or singular.endswith(_ENDINGS)


@functools.lru_cache(maxsize=4096)  # the same keys recur in every record and log line
def is_secret_name(name: str) -> bool:
    """Whether a variable, key or field of this name holds a credential (rule in the module doc)."""
    if name in NOT_SECRET_NAMES:
        return False
    parts = [p for p in re.split(r"[^a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()) if p]
    for part in reversed(parts):
        if _is_secret_word(part):
            return True
        if part not in _QUALIFIERS and not part.isdigit():  # DB_PASSWORD_2 is still a password
            return False
    return False


_COOKIE_ATTRS = {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly", "priority"}
_COOKIE_HEADERS = {"cookie", "set-cookie"}  # their values are masked pair by pair, names kept


def _cookie_pairs(match: re.Match[str]) -> str:
    def pair(m: re.Match[str]) -> str:
        return m[0] if m[1].strip().lower() in _COOKIE_ATTRS else f"{m[1]}={MASK}"

    return match["pre"] + re.sub(r"([^=;,\s]+)=([^;,\s]*)", pair, match["val"])


def _by_name(match: re.Match[str]) -> str:
    """NAME<sep>value: mask the value when the name says secret (and it is not masked already)."""
    name, value = match["name"], match["val"]
    if not value or value.strip("\"' ") == MASK or not is_secret_name(name) or name.lower() in _COOKIE_HEADERS:
        return match[0]
    return match["pre"] + MASK + match[0][match.end("val") - match.start():]


_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    # PEM private keys: the markers stay (evidence that a key was there), the body goes; a block cut
    # off (a truncated log) is masked to the end of the text
    (re.compile(r"(?P<pre>-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----)(?s:.*?)"
                r"(?P<end>-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)"), r"\g<pre>" + MASK + r"\g<end>"),
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
    # "name": "value" (JSON) and 'name': 'value' (Python reprs); string values only, so JSON stays
    # valid and booleans stay readable
    (re.compile(r"(?P<pre>\"(?P<name>[^\"\n]{1,200})\"\s*:\s*\")(?P<val>(?:[^\"\\\n]|\\.)*)(?=\")"), _by_name),
    (re.compile(r"(?P<pre>'(?P<name>[^'\n]{1,200})'\s*:\s*')(?P<val>(?:[^'\\\n]|\\.)*)(?=')"), _by_name),
    # NAME="quoted value" as a shell or .env file writes it
    (re.compile(r"(?P<pre>(?<![\w.\-\"'])(?P<name>[\w.-]+)=(?P<q>[\"']))(?P<val>[^\"'\n]*)(?=(?P=q))"), _by_name),
    # NAME=value, --password=value, ?token=value, "DB_PASS=value" in an environment list
    (re.compile(r"(?P<pre>(?<![\w.-])(?P<name>[\w.-]+)=)(?P<val>[^\s&;\"',]+)"), _by_name),
    # NAME: value at the start of a line (YAML environment maps, env-style dumps); mid-line prose such
    # as "password: env $POSTGRES_PASSWORD" names a source and stays. The name is unquoted: a quoted
    # one is JSON, whose string values the pattern above masks and whose null/true/123 must stay JSON.
    (re.compile(r"(?m)^(?P<pre>[ \t]*(?:-[ \t]+)?(?P<name>[A-Za-z_][\w.-]*)[ \t]*:[ \t]+)"
                r"(?P<val>[^\r\n]*?)(?=[ \t]*\r?$)"), _by_name),
]


# Every pattern above needs one of these: text without any of them skips the pattern pass.
# Case-insensitive, so a superset: a false hit only costs time.
_PATTERN_HINT = re.compile(r"(?i)://|bearer|authorization|cookie|eyJ|-----BEGIN|pass|pwd|secret|token|key|credential"
                           r"|auth|session|private")


def _variants(value: str) -> set[str]:
    """The value and the encodings it takes in JSON and URLs."""
    return {value, json.dumps(value)[1:-1], urllib.parse.quote(value, safe=""), urllib.parse.quote_plus(value)}


# A token is a run of these: identifiers such as medianest_jwt_secret_v2 or test_sec02_x.py are one token,
# so a short secret does not cut them up.
_WORD_CHAR = re.compile(r"[A-Za-z0-9_]")


def _value_pattern(value: str) -> str:
    """A registered value as a regex: anywhere when long, as a whole token when short."""
    pattern = re.escape(value)
    if len(value) < STRONG_LENGTH:
        if _WORD_CHAR.match(value[0]):
            pattern = r"(?<![A-Za-z0-9_])" + pattern
        if _WORD_CHAR.match(value[-1]):
            pattern += r"(?![A-Za-z0-9_])"
    return pattern


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._public: set[str] = set()
        self._lock = threading.Lock()
        self._literal: re.Pattern[str] | None = None  # every registered value, longest first
        self._shield: re.Pattern[str] | None = None  # public names that contain a registered value

    def add(self, value: str) -> None:
        found = {v for raw in {value, value.strip()} for v in _variants(raw) if v}
        if value.strip() and not found <= self._values:
            with self._lock:
                self._values |= found
                self._compile()

    def add_public(self, names: Iterable[str]) -> None:
        """Names anyone may read (the config's stack, services, URLs): printed whole, see the module doc."""
        new = {n for n in names if n.strip()} - self._public
        if new:
            with self._lock:
                self._public |= new
                self._compile()

    def _compile(self) -> None:
        ordered = sorted(self._values, key=len, reverse=True)
        self._literal = re.compile("|".join(map(_value_pattern, ordered))) if ordered else None
        shield = sorted((p for p in self._public if p not in self._values and any(v in p for v in self._values)),
                        key=len, reverse=True)
        self._shield = re.compile("|".join(map(re.escape, shield))) if shield else None

    def add_secret_env(self, environ: dict[str, str] | None = None) -> None:
        """Variables whose name says secret (POSTGRES_PASSWORD, ENCRYPTION_KEY, DB_PASS, ...)."""
        for name, value in (os.environ if environ is None else environ).items():
            if is_secret_name(name) and value.strip().lower() not in NOT_CREDENTIALS:
                self.add(value)

    def scrub(self, text: str) -> str:
        if not text:
            return text
        literal, shield = self._literal, self._shield
        if literal is not None:
            if shield is None:
                text = literal.sub(MASK, text)
            else:
                spans = [m.span() for m in shield.finditer(text)]
                text = literal.sub(lambda m: m[0] if any(a <= m.start() and m.end() <= b for a, b in spans)
                                   else MASK, text)
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
            return {self.scrub(str(k)): MASK if isinstance(v, str) and v and is_secret_name(str(k))
                    else self.scrub_any(v) for k, v in value.items()}
        return value


REDACTOR = Redactor()


def register_config_secrets(model: Any, resolve: Callable[[str], Any]) -> list[str]:
    """Register every credential the target config references (env var or file), and its public names.

    Controls read credentials lazily; registering them up front masks them even in output a
    control did not expect (a debug print, a library's log line). Files are read with the same
    guards as controls use (regular file, size cap, never blocking). Returns what was not readable:
    the reference when unset or empty, "reference: reason" when refused; one line each, never a value.
    """
    from nestgate.config.base import SecretRef, read_secret_file
    from nestgate.errors import ConfigError

    REDACTOR.add_public(_public_strings(model, SecretRef))
    problems = []
    for ref in _secret_refs(model, SecretRef):
        try:
            value = os.environ.get(ref.env) if ref.env else read_secret_file(resolve(ref.file))
        except ConfigError as exc:
            problems.append(f"{ref.describe()}: {exc}")
            continue
        if value:
            REDACTOR.add(value)
        else:
            problems.append(ref.describe())
    return problems


def _walk(obj: Any, kind: type) -> Iterable[Any]:
    """Every leaf of a config model; a `kind` instance is a leaf."""
    if isinstance(obj, kind):
        yield obj
    elif hasattr(obj, "__pydantic_fields__"):
        for name in type(obj).__pydantic_fields__:
            yield from _walk(getattr(obj, name), kind)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for item in obj:
            yield from _walk(item, kind)
    elif isinstance(obj, dict):
        for key, item in obj.items():
            yield key
            yield from _walk(item, kind)
    else:
        yield obj


def _secret_refs(obj: Any, kind: type) -> Iterable[Any]:
    return (leaf for leaf in _walk(obj, kind) if isinstance(leaf, kind))


def _public_strings(obj: Any, kind: type) -> Iterable[str]:
    # a SecretRef holds a variable name or a path, never a value: not a public name to shield
    return (str(leaf) for leaf in _walk(obj, kind) if isinstance(leaf, str) and not isinstance(leaf, kind))


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
        record.name = REDACTOR.scrub(record.name)  # a logger may be named like a weak secret
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
