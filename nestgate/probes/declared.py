"""The declared model: what the target's compose files say, as resolved by the real Compose CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.probes.compose import resolved_config


@dataclass(frozen=True)
class DeclaredService:
    name: str
    spec: dict[str, Any] = field(repr=False)

    @property
    def has_build(self) -> bool:
        return "build" in self.spec

    def get(self, *path: str, default: Any = None) -> Any:
        """A nested key of the service spec, e.g. get("deploy", "resources", "limits", "memory")."""
        node: Any = self.spec
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return default
            node = node[key]
        return node


@dataclass(frozen=True)
class DeclaredModel:
    raw: dict[str, Any] = field(repr=False)

    @property
    def services(self) -> dict[str, DeclaredService]:
        return {name: DeclaredService(name, spec) for name, spec in (self.raw.get("services") or {}).items()}

    @property
    def secrets(self) -> dict[str, dict[str, Any]]:
        return dict(self.raw.get("secrets") or {})

    @property
    def networks(self) -> dict[str, dict[str, Any]]:
        return dict(self.raw.get("networks") or {})

    def secret_name(self, key: str) -> str:
        """The name a declared secret has in the engine (`name:` honoured)."""
        return str(self.secrets.get(key, {}).get("name") or key)


def load_declared(cfg: LoadedConfig) -> DeclaredModel:
    """Raises ComposeRejected (Compose's own message) or EvidenceUnavailable; never a traceback."""
    target = cfg.model.target
    raw = resolved_config(cfg.compose_paths, cfg.project_dir, target.stack, target.call_timeout_s)
    return DeclaredModel(raw=raw)


class LazyDeclared:
    """Loads the declared model on first attribute access, inside the control that needs it,
    and remembers a failure so every control reports the same Compose message."""

    def __init__(self, cfg: LoadedConfig) -> None:
        self._cfg = cfg
        self._model: DeclaredModel | None = None
        self._error: Exception | None = None

    @property
    def files(self) -> str:
        return ", ".join(map(str, self._cfg.compose_paths))

    @property
    def source(self) -> str:
        """Where the declared facts come from, for a control's evidence."""
        return f"compose config of {self.files}"

    def model(self) -> DeclaredModel:
        if self._error is not None:
            raise self._error
        if self._model is None:
            try:
                self._model = load_declared(self._cfg)
            except Exception as exc:
                self._error = exc
                raise
        return self._model

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model(), name)
