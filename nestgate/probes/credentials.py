"""Read credentials from where the config says (env var or secret file), and register them for redaction."""

from __future__ import annotations

import os

from nestgate.config import LoadedConfig, SecretRef
from nestgate.errors import EvidenceUnavailable
from nestgate.redact import REDACTOR


def read_secret(ref: SecretRef, cfg: LoadedConfig) -> str:
    if ref.env is not None:
        value = os.environ.get(ref.env)
        if value is None:
            raise EvidenceUnavailable(f"credential not available: environment variable ${ref.env} is not set")
    else:
        path = cfg.resolve(ref.file or "")
        try:
            value = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise EvidenceUnavailable(f"credential not available: cannot read {path}: {exc.strerror}") from None
        # Secret files written with `echo` end in a newline that is not part of the value.
        value = value.rstrip("\r\n")
    if not value:
        raise EvidenceUnavailable(f"credential not available: {ref.describe()} is empty")
    REDACTOR.add(value)
    return value
