"""Which services the per-service controls judge: every service of the compose model (all profiles
by default) plus every name in target.services (which must exist: a missing one fails its tests),
less target.exclude. Derived at collection, so the test IDs name the subjects."""

from __future__ import annotations

from nestgate.config import LoadedConfig
from nestgate.errors import ConfigError
from nestgate.probes.declared import declared_for


def judged_services(cfg: LoadedConfig) -> list[str]:
    """target.services first (their order), then the model's other services in file order; without a
    model (Compose rejects the files) only target.services, whose tests then fail pointing to BLD-06."""
    target = cfg.model.target
    excluded = {e.service for e in target.exclude}
    model = declared_for(cfg).service_names() or []
    names = list(dict.fromkeys([*target.services, *model]))
    return [n for n in names if n not in excluded]


def exclusion_errors(cfg: LoadedConfig) -> None:
    """target.exclude may only name services of the compose model (checked when the model loads)."""
    model = declared_for(cfg).service_names()
    if model is None:
        return
    unknown = [(i, e.service) for i, e in enumerate(cfg.model.target.exclude) if e.service not in model]
    if unknown:
        where = "; ".join(f"target.exclude[{i}].service: {name!r} is not a service of the compose model" for i, name
                          in unknown)
        raise ConfigError(f"{cfg.path}: {where} (it declares: {', '.join(model) or 'none'})")


def exclusion_lines(cfg: LoadedConfig | None) -> list[str]:
    """What every report says about the services left out of judgement."""
    if cfg is None:
        return []
    return [f"excluded from judgement: service {e.service} ({e.reason})" for e in cfg.model.target.exclude]
