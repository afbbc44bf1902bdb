"""Redaction: registered values in every encoding, credential shapes nobody registered, config
secret references, log records, and structured data (evidence) that must stay valid JSON."""

import json
import logging

import pytest

from nestgate.config.base import SecretRef, Strict
from nestgate.redact import MASK, REDACTOR, Redactor, install_log_scrubber, register_config_secrets


@pytest.fixture
def r():
    red = Redactor()
    red.add("s3cr3t-value\"x")
    return red


def test_registered_values_in_plain_json_and_url_form(r):
    assert r.scrub('pw s3cr3t-value"x end') == f"pw {MASK} end"
    assert r.scrub(json.dumps({"v": 's3cr3t-value"x'})) == json.dumps({"v": MASK})
    assert r.scrub("q=s3cr3t-value%22x") == f"q={MASK}"


def test_short_values_are_not_registered():
    red = Redactor()
    red.add("abc")
    assert red.scrub("abc") == "abc"


@pytest.mark.parametrize(("text", "kept", "gone"), [
    ("postgres://medianest:hunter22@db:5432/x", "postgres://medianest:", "hunter22"),
    ("Authorization: Bearer abc.def-ghijkl", "Bearer ", "abc.def-ghijkl"),
    ("Authorization: Basic dXNlcjpwYXNz", "Basic ", "dXNlcjpwYXNz"),
    ("Set-Cookie: token=tok123456; Path=/; HttpOnly", "Path=/", "tok123456"),
    ("Cookie: csrf-token=aa11bb22; token=cc33dd44", "csrf-token=", "cc33dd44"),
    ("<Cookie token=zz99yy88 for localhost/>", "<Cookie token=", "zz99yy88"),
    ('{"password": "pa55word!", "token_rejected": true}', '"token_rejected": true', "pa55word!"),
    ("POSTGRES_PASSWORD=pa55word! REDIS_HOST=redis", "REDIS_HOST=redis", "pa55word!"),
    ("GET /cb?token=qq77ww66&next=/", "&next=/", "qq77ww66"),
    ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl", "", "eyJhbGciOiJIUzI1NiJ9"),
    ("x-csrf-token: a1b2c3d4", "x-csrf-token: ", "a1b2c3d4"),
])
def test_credential_shapes_are_masked_without_registration(text, kept, gone):
    out = Redactor().scrub(text)
    assert gone not in out and kept in out and MASK in out


def test_ordinary_words_survive():
    text = "basic authentication works; bearer of news; the token was rejected (401)"
    assert Redactor().scrub(text) == text


def test_secret_named_environment_variables(monkeypatch):
    red = Redactor()
    red.add_secret_env({"METRICS_TOKEN": "metrics-token-123", "USE_SECRETS": "true", "HOME": "/root/longpath"})
    assert red.scrub("metrics-token-123 true /root/longpath") == f"{MASK} true /root/longpath"


def test_scrub_any_keeps_structure_and_masks_secret_keys(r):
    data = {"measured": {"password": "plain", "token_ok": True, "n": 3, "url": "https://u:pw123456@h/"},
            "sources": ["s3cr3t-value\"x"]}
    out = r.scrub_any(data)
    assert out == {"measured": {"password": MASK, "token_ok": True, "n": 3, "url": f"https://u:{MASK}@h/"},
                   "sources": [MASK]}
    assert r.scrub_any(("path", 3, "reason s3cr3t-value\"x")) == ("path", 3, f"reason {MASK}")


class _Auth(Strict):
    password: SecretRef
    others: tuple[SecretRef, ...] = ()


def test_config_secret_references_are_registered(tmp_path, monkeypatch):
    (tmp_path / "pw").write_text("file-secret-0001\n")
    monkeypatch.setenv("NG_TEST_ENV_CRED", "env-secret-0002")
    model = _Auth(password=SecretRef(file="pw"), others=(SecretRef(env="NG_TEST_ENV_CRED"), SecretRef(env="NG_UNSET")))
    missing = register_config_secrets(model, lambda rel: tmp_path / rel)
    assert missing == ["env $NG_UNSET"]
    assert REDACTOR.scrub("file-secret-0001 env-secret-0002") == f"{MASK} {MASK}"


def test_log_records_are_scrubbed_at_creation(caplog):
    install_log_scrubber()
    REDACTOR.add("log-canary-77aa")
    with caplog.at_level(logging.INFO):
        logging.getLogger("t").info("connect with %s", "log-canary-77aa")
        try:
            raise RuntimeError("boom log-canary-77aa")
        except RuntimeError:
            logging.getLogger("t").exception("failed")
    assert "log-canary-77aa" not in caplog.text
    assert f"connect with {MASK}" in caplog.text


def test_names_of_secrets_and_paths_to_them_are_evidence_not_credentials():
    red = Redactor()
    text = '{"medianest_jwt_secret_v2": "app", "password_file": "/run/secrets/pw"} POSTGRES_PASSWORD_FILE=/run/x'
    assert red.scrub(text) == text
    assert red.scrub_any({"medianest_jwt_secret_v2": "app", "jwt_secret": "v"}) == {
        "medianest_jwt_secret_v2": "app", "jwt_secret": MASK}
    red.add_secret_env({"DOCKER_SECRETS_PATH": "/run/secrets", "JWT_SECRET": "jwt-value-123"})
    assert red.scrub("/run/secrets jwt-value-123") == f"/run/secrets {MASK}"


def test_working_directory_variables_are_not_secrets():
    from nestgate.redact import Redactor

    r = Redactor()
    r.add_secret_env({"PWD": "/root/project/dir", "OLDPWD": "/root/elsewhere", "DB_PWD": "s3cr3t-value-1"})
    assert r.scrub("in /root/project/dir with s3cr3t-value-1") == "in /root/project/dir with ********"


def test_control_message_drops_pytests_assert_explanation():
    from nestgate.gate.outcomes import control_message

    assert control_message(AssertionError("service app runs as UID 0\nassert 0 != 0")) == "service app runs as UID 0"
    assert control_message(AssertionError("assert 1 == 2\n +  where ...")) == "assert 1 == 2\n +  where ..."
