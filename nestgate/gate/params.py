"""Parametrized controls: `@pytest.mark.control("SEC-04", service=each_service)`.

Each value source takes the loaded config and returns the subjects, so test IDs name them
(`test_x[SEC-04[app]]`); a control with no subjects fails instead of passing vacuously.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from nestgate.catalog import CONTROLS, SIDES
from nestgate.config import LoadedConfig
from nestgate.gate.collection import control_of
from nestgate.gate.state import LEDGER_KEY, loaded_config
from nestgate.gate.subjects import judged_services
from nestgate.rules.sec06_rotation import destructive_allowed

EMPTY_MARK = "nestgate_empty"


# -- value sources ------------------------------------------------------------------------
def each_service(cfg: LoadedConfig) -> list[str]:
    """Every service of the compose model and of target.services, less target.exclude
    (nestgate.gate.subjects)."""
    return judged_services(cfg)


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


def drill_modes(cfg: LoadedConfig) -> list[str]:
    """SEC-06: the rotation drill's test ID says which kind ran (destructive or dry-run)."""
    allowed = destructive_allowed(cfg.model.security.rotation.allow_destructive, dict(os.environ))
    return ["destructive" if allowed else "dry-run"]


# -- the hooks that turn value sources into test IDs --------------------------------------
@pytest.fixture(autouse=True)
def nestgate_control(request: pytest.FixtureRequest) -> str | None:
    """The control ID of the running test (parametrized so that bare controls show it too)."""
    return getattr(request, "param", None) or control_of(request.node)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marks = list(metafunc.definition.iter_markers("control"))
    if len(marks) != 1 or not marks[0].args:
        return
    cid = str(marks[0].args[0])
    sources: dict[str, Callable[[LoadedConfig], Any]] = dict(marks[0].kwargs)
    ids: list[str] = [cid]
    if not sources:
        metafunc.parametrize("nestgate_control", [cid], ids=[cid], indirect=True)
    cfg = loaded_config(metafunc.config)
    for n, (argname, source) in enumerate(sources.items()):
        values = dict(_subjects(source(cfg))) if cfg is not None else {}
        if values:
            params = [pytest.param(v, id=f"{cid}[{k}]") for k, v in values.items()]
        else:
            reason = f"{cid}: the target config gives no {argname} to check ({source.__name__})"
            params = [pytest.param(None, id=f"{cid}[no-{argname}]", marks=pytest.mark.nestgate_empty(reason))]
        metafunc.parametrize(argname, params)
        mine = [str(p.id) for p in params]
        ids = mine if n == 0 else [f"{a}-{b}" for a in ids for b in mine]  # pytest joins ids with "-"
    _record(metafunc, cid, ids)


def _record(metafunc: pytest.Metafunc, cid: str, ids: list[str]) -> None:
    """Every test this parametrization creates is expected to run (nestgate.gate.coverage)."""
    ledger = metafunc.config.stash.get(LEDGER_KEY, None)
    sides = [m.name for m in metafunc.definition.iter_markers() if m.name in SIDES]
    if ledger is not None and len(sides) == 1 and cid in CONTROLS:  # a malformed one stops collection anyway
        for test_id in ids:
            ledger.add(f"{metafunc.definition.nodeid}[{test_id}]", cid, sides[0])


def _subjects(values: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(values, dict):
        yield from ((str(k), v) for k, v in values.items())
    else:
        yield from ((str(v), v) for v in values)


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> None:
    mark = pyfuncitem.get_closest_marker(EMPTY_MARK)
    if mark is not None:
        # Nothing to check is not a pass: the control cannot show the checklist line holds.
        pytest.fail(str(mark.args[0]), pytrace=False)
