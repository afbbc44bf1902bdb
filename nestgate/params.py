"""Value sources for parametrized controls: `@pytest.mark.control("SEC-04", service=each_service)`.

Each takes the loaded config and returns the subjects, so test IDs name them (`SEC-04[app]`).
"""

from __future__ import annotations

from nestgate.config import LoadedConfig


def each_service(cfg: LoadedConfig) -> list[str]:
    return list(cfg.model.target.services)


def each_data_service(cfg: LoadedConfig) -> list[str]:
    return list(cfg.model.target.data_services)


def each_edge_service(cfg: LoadedConfig) -> list[str]:
    return list(cfg.model.target.edge_services)


def each_response_endpoint(cfg: LoadedConfig) -> list[str]:
    return list(cfg.model.performance.response_endpoints)


def each_shared_consumer(cfg: LoadedConfig) -> list[str]:
    """BLD-02: the packages (directories) that consume the shared package."""
    return list(cfg.model.build.shared.consumers)


def each_env_service(cfg: LoadedConfig) -> list[str]:
    return list(cfg.model.infra.env.services)


def each_app_report(cfg: LoadedConfig) -> list[str]:
    """INF-03: the app services that report their database (keys of infra.app_reports)."""
    return [r.service for r in cfg.model.infra.app_reports]


def each_health_endpoint(cfg: LoadedConfig) -> list[str]:
    """INF-04: the health endpoint paths."""
    return [e.path for e in cfg.model.infra.health_endpoints]
