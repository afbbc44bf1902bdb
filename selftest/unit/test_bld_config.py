"""[build]: MediaNest defaults, and commands given as argv lists."""

import pytest

from nestgate.config import load_config
from nestgate.errors import ConfigError
from selftest.gaterun import ROOT


def test_shipped_build_defaults_fit_medianest():
    build = load_config(ROOT / "nestgate.toml").model.build
    assert build.healthy_within_s == 30 and build.images.no_cache
    assert build.shared.package == "@medianest/shared" and build.shared.consumers == ["backend"]
    assert build.typecheck_commands == [["npm", "run", "typecheck"]]
    assert build.critical_path_command == ["npm", "run", "test:critical-path"]


@pytest.mark.parametrize("text", [
    '[build]\ncritical_path_command = []\n',
    '[build]\ntypecheck_commands = [["npm", "run", "typecheck"], []]\n',
    '[build]\ncritical_path_command = "npm run test:critical-path"\n',
    '[build.images]\nparallel = 0\n',
    '[build.shared]\npackge = "x"\n',
])
def test_bad_build_settings_are_named(tmp_path, text):
    path = tmp_path / "nestgate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=r"build\."):
        load_config(path)
