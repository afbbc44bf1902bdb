"""SEC-03 — Authentication system functional (login/logout tested).

Auth health answers 2xx; login with the test account yields a token or session cookie; a protected
endpoint answers 2xx with it and 401/403 without it (and with a forged one); a wrong password
answers 401/403 (not 2xx, not 5xx); after logout the same token is rejected. Credentials come from
an environment variable or a secret file, never from the config, and never appear in output.
Mode "token" (MediaNest: Plex OAuth login) starts from an operator-supplied session token instead
of a password login; see security.auth in nestgate.toml.
"""

import secrets as pysecrets

import pytest

from nestgate.probes.credentials import read_secret
from nestgate.probes.stateless_http import stateless_http
from nestgate.redact import REDACTOR
from nestgate.rules.sec03_auth import csrf_findings, expect, json_path, presenting, token_findings, token_from_login

pytestmark = [pytest.mark.security, pytest.mark.runtime]


@pytest.mark.control("SEC-03")
def test_login_logout_flow(target_config, evidence):
    a = target_config.model.security.auth
    t = target_config.model.target
    client = stateless_http(t.base_url, t.call_timeout_s)
    steps: list[str] = []
    problems = []  # findings of every step, judged at the end
    evidence.source(f"HTTP requests to {t.base_url} (no cookie jar)")
    evidence.limit(health="2xx", login="2xx with a token", protected_with_token="2xx",
                   protected_without_token="401/403", wrong_credential="401/403", after_logout="401/403")

    def step(name, endpoint, wanted, **kwargs):
        answer = client.request(endpoint.method, endpoint.path, **kwargs)
        steps.append(f"{name}: {endpoint.method} {endpoint.path} -> {answer.status} ({answer.elapsed_s * 1000:.0f} ms)")
        evidence.measure(mode=a.mode, steps=steps)
        problems.extend(expect(name, endpoint.method, endpoint.path, answer.status, wanted))
        return answer

    step("auth health", a.health, "2xx")

    if a.mode == "password":
        password = read_secret(a.password, target_config)
        evidence.source(f"test account {a.username!r}, password from {a.password.describe()}")
        wrong = {a.username_field: a.username, a.password_field: password + "-not-the-password"}
        step("wrong password", a.login, "rejected", json=wrong)
        login = step("login", a.login, "2xx", json={a.username_field: a.username, a.password_field: password})
        token, where = token_from_login(login.json(), login.headers, a.token_json_path, a.token_cookie)
        if no_token := token_findings("login", a.login.method, a.login.path, login.status, token,
                                      a.token_json_path, a.token_cookie):
            evidence.fail(*problems, *no_token)
        REDACTOR.add(token)
        evidence.measure(session_from=where)
    else:
        token = read_secret(a.token, target_config)
        evidence.source(f"session token from {a.token.describe()} (mode token: no password login)")

    protected = presenting(token, a.token_location, a.cookie_name)
    step("protected with token", a.protected, "2xx", headers=protected)
    step("protected without token", a.protected, "rejected")
    forged = presenting(pysecrets.token_urlsafe(32), a.token_location, a.cookie_name)
    step("protected with a forged token", a.protected, "rejected", headers=forged)

    logout_headers = protected
    if a.csrf_path:
        csrf = client.get(a.csrf_path, headers=protected)
        steps.append(f"csrf token: GET {a.csrf_path} -> {csrf.status}")
        value = json_path(csrf.json(), a.csrf_json_path) or token_from_login(None, csrf.headers, "", a.csrf_cookie)[0]
        no_csrf = csrf_findings(a.csrf_path, csrf.status, value, a.csrf_json_path, a.csrf_cookie)
        problems.extend(no_csrf)
        if not no_csrf:
            logout_headers = {**presenting(token, a.token_location, a.cookie_name, {a.csrf_cookie: value}),
                              a.csrf_header: value}
    step("logout", a.logout, "2xx", headers=logout_headers)
    step("protected after logout", a.protected, "rejected", headers=protected)
    found = evidence.judge(problems)
    assert not found, found.message
