"""Password login, bearer/cookie tokens stored in PostgreSQL (truth) and Redis (cache), logout."""

import hashlib
import hmac
import secrets
import threading


from medianest_app.settings import SETTINGS
from medianest_app.store import cache, query

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


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(username: str, password: str) -> dict | None:
    rows = query("SELECT id, username, email, role, password_hash FROM users WHERE username = %s", (username,))
    if not rows:
        record_failure()
        return None
    uid, name, email, role, stored = rows[0]
    if not (verify_password(password, stored) or (SETTINGS.dev_password_bypass and password)):
        record_failure()
        return None
    token = secrets.token_urlsafe(32)
    key = _token_key(token)
    query("INSERT INTO session_tokens (user_id, token_hash, expires_at) "
          "VALUES (%s, %s, now() + make_interval(secs => %s))", (uid, key, SETTINGS.token_ttl_s))
    query("UPDATE users SET last_login_at = now() WHERE id = %s", (uid,))
    cache().setex(f"session:{key}", SETTINGS.token_ttl_s, str(uid))
    return {"token": token, "expires_in": SETTINGS.token_ttl_s,
            "user": {"id": uid, "username": name, "email": email, "role": role}}


def user_for(token: str | None) -> dict | None:
    """The user a token belongs to, or None if unknown, expired or revoked."""
    if not token:
        return None
    key = _token_key(token)
    uid = cache().get(f"session:{key}")
    if uid is None:  # cache miss (restart, eviction): PostgreSQL is the truth
        rows = query("SELECT user_id FROM session_tokens WHERE token_hash = %s AND revoked_at IS NULL "
                     "AND expires_at > now()", (key,))
        if not rows:
            return None
        uid = rows[0][0]
        cache().setex(f"session:{key}", 300, str(uid))
    rows = query("SELECT id, username, email, role FROM users WHERE id = %s", (int(uid),))
    if not rows:
        return None
    i, name, email, role = rows[0]
    return {"id": i, "username": name, "email": email, "role": role}


def logout(token: str) -> None:
    if not SETTINGS.revoke_on_logout:
        return  # the seeded fault: the session looks closed to the client but stays valid
    key = _token_key(token)
    query("UPDATE session_tokens SET revoked_at = now() WHERE token_hash = %s", (key,))
    cache().delete(f"session:{key}")


