"""The declared model: what the target's compose files say, as resolved by the real Compose CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from nestgate.config import LoadedConfig
from nestgate.config.subjects import ALL_PROFILES, profile_args
from nestgate.errors import ComposeRejected, EvidenceUnavailable, one_line
from nestgate.probes.compose import resolved_config

REASON_MAX = 160  # the pointer stays one short line; BLD-06 carries the whole reason


@dataclass(frozen=True)
class DeclaredService:
    name: str
    spec: dict[str, Any] = field(repr=False)

    @property
    def has_build(self) -> bool:
        return "build" in self.spec

    @property
    def profiles(self) -> list[str]:
        """The Compose profiles the service belongs to; empty: always active."""
        return [str(p) for p in self.spec.get("profiles") or []]

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

    def profiled(self) -> dict[str, list[str]]:
        """Service -> its profiles, for the services that have any."""
        return {name: svc.profiles for name, svc in self.services.items() if svc.profiles}


def load_declared(cfg: LoadedConfig) -> DeclaredModel:
    """The model with target.compose_profiles active (default every profile). Any failure to build it
    raises ComposeRejected as one short line pointing to BLD-06, which reports the cause itself."""
    target = cfg.model.target
    try:
        raw = resolved_config(cfg.compose_paths, cfg.project_dir, target.stack, target.call_timeout_s,
                              profile_args(target.compose_profiles))
    except ComposeRejected:
        raise
    except EvidenceUnavailable as exc:  # no file, no Compose CLI, a hang: still BLD-06's to tell in full
        reason = one_line(exc)
        reason = reason if len(reason) <= REASON_MAX else reason[:REASON_MAX - 3] + "..."
        raise ComposeRejected(f"compose model unavailable: see BLD-06 ({reason})") from None
    return DeclaredModel(raw=raw)


def profiles_shown(cfg: LoadedConfig) -> str:
    setting = cfg.model.target.compose_profiles
    return "every profile" if setting == ALL_PROFILES else f"profiles {', '.join(setting) or '(none)'}"


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
        """Where the declared facts come from, for a control's evidence: the files, the profiles made
        active and, once loaded, which service belongs to which profile."""
        shown = f"compose config of {self.files} ({profiles_shown(self._cfg)})"
        profiled = self._model.profiled() if self._model is not None else {}
        if profiled:
            shown += "; profiled services: " + ", ".join(f"{n} [{', '.join(p)}]" for n, p in profiled.items())
        return shown

    def service_names(self) -> list[str] | None:
        """The model's services, in file order; None when the model cannot be built (the controls
        that need it then fail pointing to BLD-06)."""
        try:
            return list(self.model().services)
        except EvidenceUnavailable:
            return None

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


_SHARED: dict[int, tuple[LoadedConfig, LazyDeclared]] = {}


def declared_for(cfg: LoadedConfig) -> LazyDeclared:
    """One declared model per loaded config and process: the subjects collection derives from it and
    the model the controls judge are the same `compose config` result."""
    held = _SHARED.get(id(cfg))
    if held is None or held[0] is not cfg:
        held = _SHARED[id(cfg)] = (cfg, LazyDeclared(cfg))
    return held[1]
