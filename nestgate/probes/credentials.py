"""Read credentials from where the config says (env var or secret file), and register them for redaction."""

from __future__ import annotations

import os

from nestgate.config import LoadedConfig, SecretRef
from nestgate.config.base import read_secret_file
from nestgate.errors import ConfigError, EvidenceUnavailable
from nestgate.redact import REDACTOR


def read_secret(ref: SecretRef, cfg: LoadedConfig) -> str:
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if value is None:
            raise EvidenceUnavailable(f"credential not available: environment variable ${ref.env} is not set")
    else:
        try:
            value = read_secret_file(cfg.resolve(ref.file or ""))
        except ConfigError as exc:
            raise EvidenceUnavailable(f"credential not available: {exc}") from None
    if not value:
        raise EvidenceUnavailable(f"credential not available: {ref.describe()} is empty")
    REDACTOR.add(value)
    return value
