"""[infra] config: shipped defaults equal the schema's MediaNest defaults; bad values name their key."""

import pytest

from nestgate.config import load_config
from nestgate.config.infra import Infra
from nestgate.errors import ConfigError
from selftest.gaterun import ROOT


def test_shipped_infra_section_is_the_schema_default():
    infra = load_config(ROOT / "nestgate.toml").model.infra
    assert infra == Infra()
    assert [e.path for e in infra.health_endpoints] == ["/health", "/api/health", "/api/v1/health"]
    assert (infra.database.dbname, infra.database.user, infra.database.password.env) == (
        "medianest", "medianest", "POSTGRES_PASSWORD")
    assert infra.logs.window_min == 60 and infra.errors_per_minute_limit == 10


@pytest.mark.parametrize(("text", "expected"), [
    ('[infra.env]\nplaceholders = { broken = "(" }\n', "infra.env.placeholders: Value error, pattern 'broken'"),
    ('[infra.logs]\npattern = "[a-"\n', "infra.logs.pattern: Value error, pattern 'pattern'"),
    ('[infra.redis]\npassword = "hunter2"\n', "infra.redis.password: Input should be"),
    ('[infra.database]\npassword = { env = "A", file = "b" }\n', "give exactly one of 'env' or 'file'"),
    ('[infra]\nhealth_endpoints = [{ path = "/h", timout_s = 1 }]\n', "infra.health_endpoints.0.timout_s: unknown key"),
])
def test_bad_infra_values_name_the_key(tmp_path, text, expected):
    path = tmp_path / "nestgate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in str(err.value)
    assert "hunter2" not in str(err.value)
