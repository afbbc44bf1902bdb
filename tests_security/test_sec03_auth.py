"""SEC-03 — Authentication system functional (login/logout tested).

Auth health answers 2xx; the session token (mode "token": handed over in a file or env var, or
signed by nestgate with the app's JWT secret on every run; mode "password": from a login with the
test account) opens a protected endpoint, which refuses a request without it, a forged one
(re-signed with another key, or unsigned) and, when minting, an expired one; a logout without the
double-submit CSRF token is refused; logout with it answers 2xx and the token is refused afterwards.
A wrong password answers 401/403 (mode "password"). Credentials come from an environment variable
or a secret file, never from the config, and never appear in output.
"""

import secrets as pysecrets
import time

import pytest

from nestgate.probes.credentials import read_secret
from nestgate.probes.stateless_http import stateless_http
from nestgate.redact import REDACTOR
from nestgate.rules.sec03_auth import (
    csrf_findings,
    expect,
    expired,
    forgeries,
    json_path,
    minted,
    presenting,
    token_findings,
    token_from_login,
)

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
                   protected_without_token="401/403", forged="401/403", wrong_credential="401/403",
                   logout_without_csrf="401/403", logout="2xx", after_logout="401/403")

    def step(name, endpoint, wanted, **kwargs):
        answer = client.request(endpoint.method, endpoint.path, **kwargs)
        steps.append(f"{name}: {endpoint.method} {endpoint.path} -> {answer.status} ({answer.elapsed_s * 1000:.0f} ms)")
        evidence.measure(mode=a.mode, steps=steps)
        problems.extend(expect(name, endpoint.method, endpoint.path, answer.status, wanted))
        return answer

    step("auth health", a.health, "2xx")

    stale = None  # a correctly signed, expired token: only when nestgate holds the signing secret
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
    elif a.mint is not None:
        secret = read_secret(a.mint.secret, target_config)
        now = time.time()
        token = minted(a.mint.claims, secret, now, a.mint.ttl_s, pysecrets.token_urlsafe(16))
        stale = expired(a.mint.claims, secret, now, pysecrets.token_urlsafe(16))
        REDACTOR.add(token)
        REDACTOR.add(stale)
        evidence.source(f"session token signed by nestgate (HS256) with the secret from {a.mint.secret.describe()}, "
                        f"claims {sorted(a.mint.claims)} + iat, exp (+{a.mint.ttl_s} s), jti")
        evidence.measure(session_from="minted")
    else:
        token = read_secret(a.token, target_config)
        evidence.source(f"session token from {a.token.describe()} (mode token: no password login)")
        evidence.measure(session_from=a.token.describe())

    protected = presenting(token, a.token_location, a.cookie_name)
    step("protected with token", a.protected, "2xx", headers=protected)
    step("protected without token", a.protected, "rejected")
    for name, fake in forgeries(token, pysecrets.token_bytes(32), pysecrets.token_urlsafe(32)):
        step(name, a.protected, "rejected", headers=presenting(fake, a.token_location, a.cookie_name))
    if stale is not None:
        step("protected with an expired token", a.protected, "rejected",
             headers=presenting(stale, a.token_location, a.cookie_name))

    ended = False  # a logout already accepted: the session is gone
    logout_headers = protected
    if a.csrf_path:
        # The double-submit check is the control's to prove: a logout carrying the session but no
        # CSRF token must be refused (a cross-site form can send the cookie, never the header).
        no_csrf = step("logout without the CSRF token", a.logout, "rejected", headers=protected)
        ended = 200 <= no_csrf.status < 300
        csrf = client.get(a.csrf_path, headers=protected)
        steps.append(f"csrf token: GET {a.csrf_path} -> {csrf.status}")
        value = json_path(csrf.json(), a.csrf_json_path) or token_from_login(None, csrf.headers, "", a.csrf_cookie)[0]
        missing = csrf_findings(a.csrf_path, csrf.status, value, a.csrf_json_path, a.csrf_cookie)
        problems.extend(missing)
        if not missing:
            logout_headers = {**presenting(token, a.token_location, a.cookie_name, {a.csrf_cookie: value}),
                              a.csrf_header: value}
    if ended:
        steps.append("logout: not sent (the logout without the CSRF token already ended the session)")
    else:
        step("logout", a.logout, "2xx", headers=logout_headers)
    step("protected after logout", a.protected, "rejected", headers=protected)
    found = evidence.judge(problems)
    assert not found, found.message
