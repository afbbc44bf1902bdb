"""target.compose_profiles and target.exclude: validation, the Compose options, and which services
the per-service controls judge (the real Compose CLI resolves H5's fixture checkout)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nestgate.config import load_config
from nestgate.config.subjects import profile_args
from nestgate.errors import ConfigError
from nestgate.gate.subjects import exclusion_errors, exclusion_lines, judged_services

CHECKOUT = Path(__file__).resolve().parents[1] / "data" / "checkouts" / "medianest"


def _load(tmp_path: Path, extra: str = "") -> object:
    path = tmp_path / "nestgate.toml"
    path.write_text(f'[target]\nproject_dir = "{CHECKOUT}"\ncompose_files = ["docker-compose.hardened.yml"]\n'
                    f'services = ["app", "postgres", "redis", "nginx"]\n{extra}')
    return load_config(path)


def test_profile_options() -> None:
    assert profile_args("all") == ["--profile", "*"]
    assert profile_args(["full", "backup"]) == ["--profile", "full", "--profile", "backup"]
    assert profile_args([]) == []


@pytest.mark.parametrize(("extra", "says"), [
    ('exclude = [{service = "trivy"}]', "target.exclude.0.reason: required key is missing"),
    ('exclude = [{service = "trivy", reason = "  "}]', "target.exclude.0.reason: Value error, must not be blank"),
    ('exclude = [{service = "app", reason = "x"}]', "service 'app' is in target.services"),
    ('compose_profiles = ["*"]', 'for every profile write compose_profiles = "all"'),
])
def test_bad_settings_are_one_line_naming_the_key(tmp_path, extra, says) -> None:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, extra)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_every_service_of_every_profile_is_judged_listed_first(tmp_path) -> None:
    cfg = _load(tmp_path)
    names = judged_services(cfg)
    assert names[:4] == ["app", "postgres", "redis", "nginx"]
    assert set(names[4:]) == {"frontend", "prometheus", "trivy", "backup"}


def test_listed_profiles_and_exclusions_narrow_the_subjects(tmp_path) -> None:
    cfg = _load(tmp_path, 'compose_profiles = ["backup"]\nexclude = [{service = "backup", reason = "cron job"}]')
    assert judged_services(cfg) == ["app", "postgres", "redis", "nginx"]
    exclusion_errors(cfg)  # backup is in the model: no error
    assert exclusion_lines(cfg) == ["excluded from judgement: service backup (cron job)"]


def test_an_exclusion_outside_the_model_is_a_config_error(tmp_path) -> None:
    cfg = _load(tmp_path, 'compose_profiles = []\nexclude = [{service = "trivy", reason = "scanner"}]')
    says = r"target.exclude\[0\].service: 'trivy' is not a service of the compose model"
    with pytest.raises(ConfigError, match=says):
        exclusion_errors(cfg)


def test_project_files_resolve_against_project_dir_operator_files_beside_the_config(tmp_path) -> None:
    cfg = _load(tmp_path)
    assert cfg.in_project("security-reports/trivy.json") == CHECKOUT / "security-reports" / "trivy.json"
    assert cfg.resolve("secrets/jwt") == tmp_path / "secrets" / "jwt"
