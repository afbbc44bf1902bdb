"""SEC-03 variants on the reference app, which speaks MediaNest's auth API (JWT session tokens on
/api/v1, the double-submit CSRF token on logout): the token carried as a cookie, a session token
handed over in a file (valid for one run: logout revokes it), the password mode on the testbed's own
login, and configs or secrets that cannot work. Credentials never show.
"""

import json
import secrets
import time
import tomllib

import pytest

from nestgate.rules.sec03_auth import minted
from nestgate.testbed.target_config import TEST_USER_CLAIMS
from selftest.conftest import derive_config
from selftest.gaterun import run_gates

SELECT = ["-m", "security", "--nestgate-controls=SEC-03"]
# The testbed's own password login (MediaNest mounts none); protected and logout stay MediaNest's.
PASSWORD_MODE = {"mode": "password", "login": {"method": "POST", "path": "/api/auth/login"},
                 "username": "nestgate-test"}


def _run(testbed, tmp_path, **auth):
    """SEC-03 alone with the testbed's auth section (its relative secret files made absolute) changed by `auth`."""
    base = tomllib.loads(testbed.config_path.read_text())
    mint = base["security"]["auth"]["mint"]
    mint["secret"] = {"file": str(testbed.state_dir / mint["secret"]["file"])}
    base["security"]["auth"] = {k: v for k, v in {**base["security"]["auth"], **auth}.items() if v is not None}
    run = run_gates(SELECT, derive_config(base, tmp_path, target={"project_dir": str(testbed.project_dir)}))
    [result] = run.by_control("SEC-03")
    return result, run


def _measured(result) -> dict:
    return json.loads(result.properties["nestgate.evidence"])["measured"]


def _secret(testbed, name: str) -> str:
    return testbed.secret_file(name).read_text().strip()


def test_the_shipped_defaults_pass_with_every_step(testbed, tmp_path):
    result, run = _run(testbed, tmp_path)
    assert result.outcome == "passed", result.message
    steps = [s.split(" -> ")[0] + " -> " + s.split(" -> ")[1].split(" ")[0] for s in _measured(result)["steps"]]
    assert steps == [
        "auth health: GET /api/v1/health -> 200",
        "protected with token: GET /api/v1/auth/session -> 200",
        "protected without token: GET /api/v1/auth/session -> 401",
        "protected with a forged token: GET /api/v1/auth/session -> 401",
        "protected with an unsigned token: GET /api/v1/auth/session -> 401",
        "protected with an expired token: GET /api/v1/auth/session -> 401",
        "logout without the CSRF token: POST /api/v1/auth/logout -> 403",
        "csrf token: GET /api/v1/csrf/token -> 200",
        "logout: POST /api/v1/auth/logout -> 200",
        "protected after logout: GET /api/v1/auth/session -> 401"]
    assert _secret(testbed, "jwt_secret") not in run.output


def test_token_as_a_cookie(testbed, tmp_path):
    result, _ = _run(testbed, tmp_path, token_location="cookie", cookie_name="token")
    assert result.outcome == "passed", result.message
    assert _measured(result)["session_from"] == "minted"


def test_a_handed_over_session_token_works_once(testbed, tmp_path):
    token = minted(TEST_USER_CLAIMS, _secret(testbed, "jwt_secret"), time.time(), 600, secrets.token_urlsafe(16))
    token_file = tmp_path / "session_token"
    token_file.write_text(token + "\n")
    result, run = _run(testbed, tmp_path, mint=None, token={"file": str(token_file)})
    assert result.outcome == "passed", result.message
    steps = _measured(result)["steps"]
    assert not any(s.startswith(("login", "wrong password", "protected with an expired")) for s in steps)
    assert steps[-1].startswith("protected after logout: GET /api/v1/auth/session -> 401")
    assert token not in run.output
    # The logout revoked it: the next run needs a fresh token, and says so by the step that failed.
    again, run = _run(testbed, tmp_path, mint=None, token={"file": str(token_file)})
    assert again.outcome == "failed"
    assert "protected with token: GET /api/v1/auth/session answered 401, expected 2xx" in again.message
    assert token not in run.output


def test_password_mode_on_the_testbed_login(testbed, tmp_path):
    password = {"file": str(testbed.secret_file("test_account_password"))}
    result, run = _run(testbed, tmp_path, mint=None, password=password, **PASSWORD_MODE)
    assert result.outcome == "passed", result.message
    steps = _measured(result)["steps"]
    assert steps[1].startswith("wrong password: POST /api/auth/login -> 401")
    assert steps[2].startswith("login: POST /api/auth/login -> 200")
    assert _measured(result)["session_from"] == "JSON data.token"
    assert _secret(testbed, "test_account_password") not in run.output


def test_a_login_that_fails_names_the_endpoint_and_status(testbed, tmp_path):
    wrong = tmp_path / "wrong_password"
    wrong.write_text("not-the-test-account-password")
    result, _ = _run(testbed, tmp_path, mint=None, password={"file": str(wrong)}, **PASSWORD_MODE)
    assert result.outcome == "failed"
    assert "login: POST /api/auth/login answered 401, expected 2xx" in result.message
    assert "with no token (looked for JSON 'data.token' and cookie 'token')" in result.message


def test_a_token_minted_with_the_wrong_secret_is_refused(testbed, tmp_path):
    other = tmp_path / "not_the_jwt_secret"
    other.write_text(secrets.token_hex(32))
    result, run = _run(testbed, tmp_path, mint={"secret": {"file": str(other)}, "claims": TEST_USER_CLAIMS})
    assert result.outcome == "failed"
    assert "protected with token: GET /api/v1/auth/session answered 401, expected 2xx" in result.message
    assert other.read_text() not in run.output


@pytest.mark.parametrize("auth,fragment", [
    ({"mint": {"secret": {"env": "NESTGATE_SEC03_UNSET"}, "claims": TEST_USER_CLAIMS}},
     "SEC-03: evidence unavailable: credential not available: environment variable $NESTGATE_SEC03_UNSET is not set"),
    ({"protected": {"method": "GET", "path": "/api/v1/health"}},
     "protected without token: GET /api/v1/health answered 200, expected 401/403"),
    ({"csrf_path": "/api/v1/csrf/nowhere"},
     "csrf: GET /api/v1/csrf/nowhere answered 404 with no token (JSON 'data.csrfToken', cookie 'csrf-token')"),
    ({"csrf_path": "/api/v1/csrf/nowhere"}, "logout: POST /api/v1/auth/logout answered 403, expected 2xx"),
])
def test_missing_credentials_and_endpoints_that_do_not_do_their_part(testbed, tmp_path, auth, fragment):
    result, _ = _run(testbed, tmp_path, **auth)
    assert result.outcome == "failed" and fragment in result.message, result.message
