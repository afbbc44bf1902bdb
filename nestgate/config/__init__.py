"""Target config: strict TOML, MediaNest defaults. See load_config."""

from nestgate.config.base import SecretRef
from nestgate.config.load import LoadedConfig, config_path, load_config
from nestgate.config.model import NestgateConfig

__all__ = ["LoadedConfig", "NestgateConfig", "SecretRef", "config_path", "load_config"]
