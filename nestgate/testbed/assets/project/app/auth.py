"""MediaNest's session tokens: JWTs signed (HS256) with the app's JWT secret, read from the
Authorization: Bearer header or the `token` cookie, revoked on logout (PostgreSQL holds the revoked
sessions, so a token minted elsewhere with the same secret works until its logout or expiry).
The password login is the testbed's own (MediaNest logs in through plex.tv): it feeds the failed
login lines the security monitor and the watch count."""

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time

from medianest_app.settings import SETTINGS
from medianest_app.store import query

_lock = threading.Lock()
FAILURES = {"total": 0}


def verify_password(password: str, stored: str | None) -> bool:
    # Format: pbkdf2_sha256$iterations$salt_hex$hash_hex
    if not stored:
        return False
    try:
        algo, iterations, salt, expected = stored.split("$")
    except ValueError:
        return False
    if algo != "pbkdf2_sha256":
        return False
    got = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return hmac.compare_digest(got.hex(), expected)


def record_failure() -> None:
    with _lock:
        FAILURES["total"] += 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(signing_input: str) -> bytes:
    # Read per use: a rotated secret (SEC-06 drill) takes effect with the redeployed task.
    return hmac.new(SETTINGS.secret("jwt_secret").encode(), signing_input.encode(), hashlib.sha256).digest()


def sign(claims: dict) -> str:
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{_b64(_signature(f'{head}.{body}'))}"


def claims_of(token: str) -> dict | None:
    """The claims of a well-formed, correctly signed, unexpired token; None otherwise."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
        signature = _unb64(parts[2])
    except ValueError:
        return None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return None
    if SETTINGS.jwt_verify_signature:  # the seeded fault reads the claims unverified (decode, not verify)
        if header.get("alg") != "HS256":
            return None
        if not hmac.compare_digest(signature, _signature(f"{parts[0]}.{parts[1]}")):
            return None
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= time.time():
        return None
    return claims


def _session_key(claims: dict, token: str) -> str:
    # A session is its jti (MediaNest: sessionId); a token without one is its own session.
    return hashlib.sha256(str(claims.get("jti") or token).encode()).hexdigest()


def _user(uid: object) -> dict | None:
    try:
        uid = int(uid)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    rows = query("SELECT id, username, email, role FROM users WHERE id = %s", (uid,))
    if not rows:
        return None
    i, name, email, role = rows[0]
    return {"id": i, "username": name, "email": email, "role": role}


def login(username: str, password: str) -> dict | None:
    rows = query("SELECT id, username, email, role, password_hash FROM users WHERE username = %s", (username,))
    if not rows or not verify_password(password, rows[0][4]):
        record_failure()
        return None
    uid, name, email, role, _ = rows[0]
    now = int(time.time())
    claims = {"userId": uid, "email": email, "role": role, "jti": secrets.token_urlsafe(16),
              "iat": now, "exp": now + SETTINGS.token_ttl_s}
    query("INSERT INTO session_tokens (user_id, token_hash, expires_at) VALUES (%s, %s, to_timestamp(%s))",
          (uid, _session_key(claims, ""), claims["exp"]))
    query("UPDATE users SET last_login_at = now() WHERE id = %s", (uid,))
    return {"token": sign(claims), "expires_in": SETTINGS.token_ttl_s,
            "user": {"id": uid, "username": name, "email": email, "role": role}}


def user_for(token: str | None) -> dict | None:
    """The user a token belongs to, or None if malformed, forged, expired or revoked."""
    claims = claims_of(token) if token else None
    if claims is None:
        return None
    revoked = query("SELECT 1 FROM session_tokens WHERE token_hash = %s AND revoked_at IS NOT NULL",
                    (_session_key(claims, token or ""),))
    return None if revoked else _user(claims.get("userId"))


def logout(token: str) -> None:
    if not SETTINGS.revoke_on_logout:
        return  # the seeded fault: the session looks closed to the client but stays valid
    claims = claims_of(token)
    user = _user(claims.get("userId")) if claims else None
    if claims is None or user is None:
        return
    query("INSERT INTO session_tokens (user_id, token_hash, expires_at, revoked_at) "
          "VALUES (%s, %s, to_timestamp(%s), now()) "
          "ON CONFLICT (token_hash) DO UPDATE SET revoked_at = now()",
          (user["id"], _session_key(claims, token), claims["exp"]))


def csrf_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(cookie: str | None, header: str | None) -> bool:
    """Double submit: the header repeats the cookie's value (a cross-site form cannot read the cookie)."""
    if not SETTINGS.logout_checks_csrf:
        return True  # the seeded fault: logout without the CSRF token is accepted
    return bool(cookie) and bool(header) and hmac.compare_digest(cookie or "", header or "")
