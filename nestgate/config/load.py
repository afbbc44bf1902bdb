"""Find, parse and validate the target config; every failure is one line naming file and key."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from nestgate.config.model import NestgateConfig
from nestgate.errors import ConfigError

DEFAULT_NAME = "nestgate.toml"
ENV_VAR = "NESTGATE_CONFIG"


@dataclass(frozen=True)
class LoadedConfig:
    """The validated config plus where it came from, for resolving relative paths."""

    model: NestgateConfig
    path: Path

    @property
    def base_dir(self) -> Path:
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A file the operator holds (credential file, ssh key, watch history, drill record), taken
        relative to the config file's directory."""
        return (self.base_dir / relative).resolve()

    def in_project(self, relative: str) -> Path:
        """A file of the target project (scan report, env example, build path), taken relative to
        target.project_dir: "copy nestgate.toml next to the checkout" must not move them."""
        return (self.project_dir / relative).resolve()

    @property
    def project_dir(self) -> Path:
        """target.project_dir, relative to the config file's directory."""
        return self.resolve(self.model.target.project_dir)

    @property
    def compose_paths(self) -> list[Path]:
        return [self.project_dir / name for name in self.model.target.compose_files]


def config_path(cli_value: str | None, rootdir: Path) -> Path:
    """--target-config wins, then $NESTGATE_CONFIG, then nestgate.toml in the root dir."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser().resolve()
    return (rootdir / DEFAULT_NAME).resolve()


def _key(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def _explain(error: dict) -> str:
    key = _key(tuple(error["loc"]))
    if error["type"] == "extra_forbidden":
        return f"{key}: unknown key"
    if error["type"] == "missing":
        return f"{key}: required key is missing"
    # The offending value is not echoed: it may be a credential pasted where a reference belongs.
    return f"{key}: {error['msg']}"


def load_config(path: Path | str) -> LoadedConfig:
    """Load and validate; raises ConfigError with 'FILE: KEY: problem' on any mistake."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: target config not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read target config: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        model = NestgateConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(_explain(err) for err in exc.errors())
        raise ConfigError(f"{path}: {problems}") from None
    return LoadedConfig(model=model, path=path.resolve())
