"""SEC-03 session tokens: the HS256 JWTs nestgate mints, the forged, unsigned and expired ones a server
must refuse, and the mint section of the config (fail closed, one-line errors, no secret shown)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from nestgate.config import load_config
from nestgate.config.security import AuthCheck
from nestgate.errors import ConfigError
from nestgate.rules.sec03_auth import EXPIRED_AGO_S, expired, forgeries, jwt_claims, jwt_hs256, minted
from selftest.gaterun import write_config

SECRET = "s3cret-signing-key-of-the-app-0123456789"
CLAIMS = {"userId": "1", "role": "USER"}
NOW = 1_700_000_000.4


def _parts(token: str) -> list[dict | bytes]:
    head, body, sig = token.split(".")
    decode = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
    return [json.loads(decode(head)), json.loads(decode(body)), decode(sig)]


def _verifies(token: str, key: str | bytes) -> bool:
    head, body, _ = token.split(".")
    raw = key.encode() if isinstance(key, str) else key
    return hmac.compare_digest(_parts(token)[2], hmac.new(raw, f"{head}.{body}".encode(), hashlib.sha256).digest())


def test_a_minted_token_is_an_hs256_jwt_with_fresh_times_and_session():
    token = minted(CLAIMS, SECRET, NOW, 600, "sess-1")
    header, claims, _ = _parts(token)
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert claims == {"userId": "1", "role": "USER", "iat": 1_700_000_000, "exp": 1_700_000_600, "jti": "sess-1"}
    assert _verifies(token, SECRET) and not _verifies(token, SECRET + "x")
    assert "=" not in token  # base64url without padding, as RFC 7515 wants


def test_the_well_known_hs256_example_token():
    # jwt.io's example, as jsonwebtoken.sign({sub, name, iat}, "your-256-bit-secret") writes it.
    assert jwt_hs256({"sub": "1234567890", "name": "John Doe", "iat": 1516239022}, "your-256-bit-secret") == (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def test_an_expired_token_is_correctly_signed_but_an_hour_past_its_exp():
    token = expired(CLAIMS, SECRET, NOW, "sess-2")
    _, claims, _ = _parts(token)
    assert claims["exp"] == int(NOW) - EXPIRED_AGO_S and claims["iat"] < claims["exp"]
    assert _verifies(token, SECRET)


def test_forgeries_of_a_jwt_keep_its_claims_but_not_its_signature():
    token = minted(CLAIMS, SECRET, NOW, 600, "sess-3")
    other = b"k" * 32
    (forged_step, forged), (unsigned_step, unsigned) = forgeries(token, other, "random")
    assert (forged_step, unsigned_step) == ("protected with a forged token", "protected with an unsigned token")
    assert _parts(forged)[1] == _parts(token)[1] and _verifies(forged, other) and not _verifies(forged, SECRET)
    assert _parts(unsigned)[0] == {"alg": "none", "typ": "JWT"} and unsigned.endswith(".")
    assert jwt_claims(unsigned) == jwt_claims(token) == _parts(token)[1]


@pytest.mark.parametrize("opaque", ["0123abcd", "a.b", "a.b.c", "e30.bm90LWpzb24.x", "W10.e30.x"])
def test_an_opaque_token_is_forged_as_a_random_one(opaque):
    assert jwt_claims(opaque) is None
    assert forgeries(opaque, b"k", "random-token") == [("protected with a forged token", "random-token")]


def _auth(**kwargs) -> AuthCheck:
    return AuthCheck.model_validate(kwargs)


def _refusal(tmp_path, auth: dict) -> str:
    path = write_config({"security": {"auth": auth}}, tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value).removeprefix(f"{path}: ")


def test_the_mint_section():
    auth = _auth(mint={"secret": {"file": "secrets/jwt_secret"}, "claims": {"userId": "u1", "role": "USER"}})
    assert auth.mint is not None and auth.mint.ttl_s == 600 and auth.mint.secret.describe() == "file secrets/jwt_secret"
    assert auth.token is not None  # the shipped default stays, unread while mint is given


MINT = {"secret": {"env": "JWT_SECRET"}, "claims": {"userId": "1"}}


@pytest.mark.parametrize("auth,says", [
    ({"mint": {**MINT, "claims": {"userId": "1", "exp": "5"}}},
     "security.auth.mint.claims: Value error, exp: set by nestgate on every mint (leave out)"),
    ({"mint": {**MINT, "claims": {}}}, "security.auth.mint.claims: Dictionary should have at least 1 item after "
                                       "validation, not 0"),
    ({"mint": {**MINT, "ttl_s": 5}}, "security.auth.mint.ttl_s: Input should be greater than or equal to 60"),
    ({"mint": {**MINT, "claims": {"userId": 1}}}, "security.auth.mint.claims.userId: Input should be a valid string"),
    ({"mint": {"claims": {"userId": "1"}}}, "security.auth.mint.secret: required key is missing"),
    ({"mint": MINT, "token": {"file": "t"}},
     "security.auth: Value error, give token (a handed-over session token) or mint (nestgate signs one), not both"),
])
def test_a_bad_mint_section_is_one_line_naming_the_key(tmp_path, auth, says):
    assert _refusal(tmp_path, auth) == says


def test_a_secret_pasted_as_the_reference_never_reaches_the_error(tmp_path):
    says = _refusal(tmp_path, {"mint": {**MINT, "secret": {"env": "hunter2-secret-value"}}})
    assert says == "security.auth.mint.secret.env: not a valid variable name (value not shown)"
