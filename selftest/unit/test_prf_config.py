"""[performance]: MediaNest defaults, and settings that cannot work are refused with their key."""

import pytest

from nestgate.config import load_config
from nestgate.errors import ConfigError
from selftest.gaterun import ROOT


def test_shipped_performance_defaults():
    perf = load_config(ROOT / "nestgate.toml").model.performance
    assert (perf.bundle_dir, perf.bundle_exclude) == ("frontend/.next", ["cache"])
    assert (perf.response_endpoints, perf.response_requests, perf.response_time_limit_s) == (["/api/health"], 20, 2)
    assert (perf.pool_service, perf.pool_url_var) == ("app", "DATABASE_URL")
    assert perf.stats_samples >= 2


@pytest.mark.parametrize(("text", "problem"), [
    ("response_time_limit_s = 2\nresponse_timeout_s = 2", "response_timeout_s must be greater than"),
    ("stats_samples = 1", "performance.stats_samples: Input should be greater than or equal to 2"),
    ("response_requests = 0", "performance.response_requests: Input should be greater than or equal to 1"),
    ("bundle_limit_mb = -1", "performance.bundle_limit_mb: Input should be greater than 0"),
    ("bundle_exclude = \"cache\"", "performance.bundle_exclude: Input should be a valid list"),
])
def test_unusable_settings_are_refused_naming_the_key(tmp_path, text, problem):
    path = tmp_path / "nestgate.toml"
    path.write_text("[performance]\n" + text + "\n")
    with pytest.raises(ConfigError, match="performance") as err:
        load_config(path)
    assert problem in str(err.value)
