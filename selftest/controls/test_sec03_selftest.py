"""SEC-03 variants on the reference app: the token carried as a cookie, MediaNest's token mode
(a session token handed over in a file), and a login that does not work. Credentials never show.
"""

import json
import tomllib

import pytest
import requests

from selftest.conftest import derive_config
from selftest.gaterun import run_gates

SELECT = ["-m", "security", "--nestgate-controls=SEC-03"]


def _run(testbed, tmp_path, **auth):
    base = tomllib.loads(testbed.config_path.read_text())
    password = str(testbed.state_dir / base["security"]["auth"]["password"]["file"])
    base["security"]["auth"] = {**base["security"]["auth"], "password": {"file": password}, **auth}
    run = run_gates(SELECT, derive_config(base, tmp_path, target={"project_dir": str(testbed.project_dir)}))
    [result] = run.by_control("SEC-03")
    return result, run


def _password(testbed) -> str:
    return testbed.secret_file("test_account_password").read_text()


def test_token_as_a_cookie(testbed, tmp_path):
    result, run = _run(testbed, tmp_path, token_location="cookie", cookie_name="token", token_json_path="")
    assert result.outcome == "passed", result.message
    measured = json.loads(result.properties["nestgate.evidence"])["measured"]
    assert measured["session_from"] == "cookie token"
    assert _password(testbed) not in run.output


def test_token_mode_with_a_handed_over_session_token(testbed, tmp_path):
    login = requests.post(f"{testbed.base_url}/api/auth/login", timeout=15,
                          json={"username": "nestgate-test", "password": _password(testbed)})
    token = login.json()["data"]["token"]
    token_file = tmp_path / "session_token"
    token_file.write_text(token + "\n")
    result, run = _run(testbed, tmp_path, mode="token", token={"file": str(token_file)})
    assert result.outcome == "passed", result.message
    steps = json.loads(result.properties["nestgate.evidence"])["measured"]["steps"]
    assert not any(s.startswith(("login", "wrong password")) for s in steps)
    assert steps[-1].startswith("protected after logout: GET /api/auth/session -> 401")
    assert token not in run.output


def test_a_login_that_fails_names_the_endpoint_and_status(testbed, tmp_path):
    wrong = tmp_path / "wrong_password"
    wrong.write_text("not-the-test-account-password")
    result, _ = _run(testbed, tmp_path, password={"file": str(wrong)})
    assert result.outcome == "failed"
    assert "login: POST /api/auth/login answered 401, expected 2xx" in result.message
    assert "with no token (looked for JSON 'data.token' and cookie 'token')" in result.message


@pytest.mark.parametrize("auth,fragment", [
    ({"password": {"env": "NESTGATE_SEC03_UNSET"}},
     "SEC-03: evidence unavailable: credential not available: environment variable $NESTGATE_SEC03_UNSET is not set"),
    ({"protected": {"method": "GET", "path": "/api/media/health"}},
     "protected without token: GET /api/media/health answered 200, expected 401/403"),
])
def test_missing_credentials_and_an_unprotected_endpoint(testbed, tmp_path, auth, fragment):
    result, _ = _run(testbed, tmp_path, **auth)
    assert result.outcome == "failed" and fragment in result.message
