"""The target's compose files as text, for what `compose config` leaves out: top-level secrets no
service uses (Compose prunes them from its resolved model)."""

from __future__ import annotations

from pathlib import Path

from nestgate.errors import EvidenceUnavailable
from nestgate.probes.readers.compose_secrets import ComposeTextError, DeclaredSecret, declared_secrets


def declared_secrets_in(paths: list[Path]) -> dict[str, DeclaredSecret]:
    """Compose key -> declaration, later files overriding earlier ones (as Compose merges)."""
    merged: dict[str, DeclaredSecret] = {}
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise EvidenceUnavailable(f"cannot read compose file {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            raise EvidenceUnavailable(f"compose file {path} is not UTF-8 text: {exc}") from None
        try:
            merged.update({d.key: d for d in declared_secrets(text)})
        except ComposeTextError as exc:
            raise EvidenceUnavailable(f"compose file {path}: {exc}") from None
    return merged
