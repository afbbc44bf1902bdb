"""SEC-03 logic: where a login answer keeps its token, how a request presents it, the session
tokens nestgate signs (minted, forged, unsigned, expired: HS256 JWTs), and what an answer's status
means for each step of the flow (findings never hold a token). Pure functions; the control makes the
calls and supplies the clock and the randomness.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

from nestgate.rules.findings import Finding

REJECTED = (401, 403)
# An expired token's exp lies this far in the past: beyond any clock skew leeway a server allows.
EXPIRED_AGO_S = 3600


def jwt_hs256(claims: Mapping[str, Any], key: str | bytes) -> str:
    """A JWT (RFC 7519) signed with HMAC-SHA256: what MediaNest's jsonwebtoken.sign makes by default."""
    with warnings.catch_warnings():
        # The secret's strength is SEC-02's finding; SEC-03 signs with whatever the app verifies with.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(dict(claims), key, algorithm="HS256")


def jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a token shaped as a JWT (three segments, JSON header and claims), unverified;
    None for any other token (an opaque session id)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    return claims if isinstance(claims, dict) else None


def minted(claims: Mapping[str, Any], secret: str, now: float, ttl_s: int, session: str) -> str:
    """A fresh session token: the configured claims plus iat, exp (now + ttl) and jti (the session)."""
    return jwt_hs256({**claims, "iat": int(now), "exp": int(now) + ttl_s, "jti": session}, secret)


def expired(claims: Mapping[str, Any], secret: str, now: float, session: str) -> str:
    """Correctly signed, but its exp passed an hour ago: a server must refuse it."""
    return jwt_hs256({**claims, "iat": int(now) - 2 * EXPIRED_AGO_S, "exp": int(now) - EXPIRED_AGO_S,
                      "jti": session}, secret)


def forgeries(token: str, other_key: bytes, random_token: str) -> list[tuple[str, str]]:
    """(step, token) pairs a server must refuse. For a JWT: its own claims signed with another key, and
    unsigned (alg "none"): a server that reads claims without verifying the signature accepts both.
    For an opaque token: a random one."""
    claims = jwt_claims(token)
    if claims is None:
        return [("protected with a forged token", random_token)]
    unsigned = jwt.encode(claims, None, algorithm="none")
    return [("protected with a forged token", jwt_hs256(claims, other_key)),
            ("protected with an unsigned token", unsigned)]


def json_path(doc: Any, path: str) -> Any:
    """`data.token` in {"data": {"token": ...}}; None when any step is missing."""
    node = doc
    for key in [p for p in path.split(".") if p]:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def cookie_value(headers: dict[str, str], name: str) -> str | None:
    """A cookie set by the answer. requests joins several Set-Cookie headers with ", "; cookie
    values (tokens) contain neither "," nor ";", so a match anchored at a cookie start is safe."""
    header = next((v for k, v in headers.items() if k.lower() == "set-cookie"), "")
    m = re.search(rf"(?:^|,\s*){re.escape(name)}=([^;,]*)", header)
    return m.group(1) if m and m.group(1) else None


def token_from_login(body: Any, headers: dict[str, str], json_key: str, cookie: str) -> tuple[str | None, str]:
    """(token, where it was found): the JSON path first, then the Set-Cookie cookie."""
    value = json_path(body, json_key) if json_key else None
    if isinstance(value, str) and value:
        return value, f"JSON {json_key}"
    found = cookie_value(headers, cookie) if cookie else None
    return (found, f"cookie {cookie}") if found else (None, "")


def presenting(token: str, location: str, cookie_name: str, extra_cookies: dict[str, str] | None = None
               ) -> dict[str, str]:
    """Request headers that carry the token (and any other cookies) the configured way."""
    headers: dict[str, str] = {}
    cookies = dict(extra_cookies or {})
    if location == "bearer":
        headers["Authorization"] = f"Bearer {token}"
    else:
        cookies[cookie_name] = token
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return headers


def expect(step: str, method: str, path: str, status: int, wanted: str, subject: str = "") -> list[Finding]:
    """A finding when `status` is not what the step wants ("2xx" or "rejected"), else none.

    The subject is the step ("login: POST /api/auth/login answered 401, expected 2xx"), or, when
    given, who the step belongs to ("monitor x: test alert: POST ... answered 500, expected 2xx").
    """
    ok = 200 <= status < 300 if wanted == "2xx" else status in REJECTED
    if ok:
        return []
    want = "2xx" if wanted == "2xx" else "401/403"
    note = " (a server error is not a refusal)" if wanted == "rejected" and status >= 500 else ""
    says = f"{method} {path} answered {status}, expected {want}{note}"
    if subject:
        return [Finding(subject, f"{step} status", status, want, says=f"{step}: {says}")]
    return [Finding(step, "status", status, want, says=says)]


def token_findings(step: str, method: str, path: str, status: int, token: str | None, json_key: str,
                   cookie: str) -> list[Finding]:
    """The login answer carries a token where the config says; the token itself is never recorded."""
    if token is not None:
        return []
    return [Finding(step, "token", None, f"a token at JSON {json_key!r} or cookie {cookie!r}",
                    says=f"{method} {path} answered {status} with no token "
                         f"(looked for JSON {json_key!r} and cookie {cookie!r})")]


def csrf_findings(path: str, status: int, value: Any, json_key: str, cookie: str) -> list[Finding]:
    """The CSRF endpoint hands out a token (a non-empty string); its value is never recorded."""
    if isinstance(value, str) and value:
        return []
    return [Finding("csrf", "token", None, f"a token at JSON {json_key!r} or cookie {cookie!r}",
                    says=f"GET {path} answered {status} with no token (JSON {json_key!r}, cookie {cookie!r})")]
