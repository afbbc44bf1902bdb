"""The target config: strict, one-line errors naming file and key, defaults that fit MediaNest."""

import pytest

from nestgate.config import SecretRef, load_config
from nestgate.errors import ConfigError
from selftest.gaterun import ROOT


def _load(tmp_path, text):
    path = tmp_path / "nestgate.toml"
    path.write_text(text)
    return load_config(path), path


def test_shipped_defaults_fit_medianest():
    cfg = load_config(ROOT / "nestgate.toml").model
    assert cfg.target.compose_files == ["docker-compose.hardened.yml"]
    assert cfg.target.data_services == ["postgres", "redis"] and cfg.target.edge_services == ["nginx"]
    assert (cfg.security.secrets.prefix, cfg.security.secrets.expected_count) == ("medianest", 9)
    assert cfg.performance.bundle_limit_mb == 10 and cfg.performance.memory_total_limit_mb == 2048
    assert cfg.performance.response_time_limit_s == 2 and cfg.build.healthy_within_s == 30
    assert (cfg.performance.memory_percent_limit, cfg.performance.cpu_percent_limit) == (80, 70)
    assert cfg.infra.errors_per_minute_limit == 10 and cfg.infra.rollback_limit_s == 300


def test_unknown_key_is_named_with_the_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, '[target]\nstak = "x"\n')
    assert str(err.value) == f"{tmp_path / 'nestgate.toml'}: target.stak: unknown key"


def test_wrong_type_is_named_and_value_not_echoed(tmp_path):
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, '[performance]\nbundle_limit_mb = "hunter2-secret"\n')
    assert "performance.bundle_limit_mb: Input should be a valid number" in str(err.value)
    assert "hunter2" not in str(err.value)


def test_unknown_section(tmp_path):
    with pytest.raises(ConfigError, match=r"securty: unknown key"):
        _load(tmp_path, "[securty]\nx = 1\n")


def test_malformed_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match=r"not valid TOML"):
        _load(tmp_path, "[target\n")
    with pytest.raises(ConfigError, match=r"target config not found"):
        load_config(tmp_path / "absent.toml")


def test_relative_paths_resolve_against_the_config_file(tmp_path):
    cfg, _ = _load(tmp_path, '[target]\nproject_dir = "app"\ncompose_files = ["a.yml", "b.yml"]\n')
    assert cfg.compose_paths == [tmp_path / "app" / "a.yml", tmp_path / "app" / "b.yml"]


def test_secret_ref_takes_exactly_one_source():
    assert SecretRef(env="PGPASSWORD").describe() == "env $PGPASSWORD"
    with pytest.raises(ValueError):
        SecretRef()
    with pytest.raises(ValueError):
        SecretRef(env="A", file="b")
