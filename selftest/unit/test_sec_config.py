"""[security] config: shipped MediaNest defaults, and mistakes named by key."""

import pytest

from nestgate.config import load_config
from nestgate.config.security import Security
from nestgate.errors import ConfigError
from selftest.gaterun import ROOT


def test_shipped_security_section_equals_the_schema_defaults():
    # nestgate.toml documents the defaults: it must not drift from them.
    assert load_config(ROOT / "nestgate.toml").model.security == Security()


def test_medianest_defaults():
    s = Security()
    assert [(r.path, r.format) for r in s.scan.reports] == [("security-reports/trivy.json", "trivy")]
    assert s.scan.blocking_severities == ["CRITICAL", "HIGH"]
    assert s.auth.mode == "token" and s.auth.protected.path == "/api/v1/auth/session"
    assert s.auth.logout.method == "POST" and s.auth.token_location == "bearer"
    assert not s.rotation.allow_destructive and s.rotation.secret == "jwt_secret"


@pytest.mark.parametrize("text,problem", [
    ('[security.auth]\nmode = "password"\n', "security.auth: Value error, mode \"password\" needs a username"),
    ('[security.scan]\nblocking_severities = ["SEVERE"]\n', "security.scan.blocking_severities: Value error"),
    ('[security.scan]\nreports = [{ path = "x.json", format = "nessus" }]\n', "security.scan.reports.0.format"),
    ('[security.rotation]\nconverge_timeout_s = 0\n', "security.rotation.converge_timeout_s"),
    ('[security.auth]\npassword = "hunter2-in-the-config"\n', "security.auth.password"),
])
def test_mistakes_are_named(tmp_path, text, problem):
    path = tmp_path / "nestgate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert problem in str(err.value) and "hunter2" not in str(err.value)


def test_severities_are_case_insensitive(tmp_path):
    path = tmp_path / "nestgate.toml"
    path.write_text('[security.scan]\nblocking_severities = ["critical"]\n')
    assert load_config(path).model.security.scan.blocking_severities == ["CRITICAL"]
