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
