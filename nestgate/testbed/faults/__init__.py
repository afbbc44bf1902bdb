"""The seeded faults, by name. Each makes exactly one control of the catalog (nestgate/catalog.py) fail,
or declares (`Fault.also`) the others it breaks by nature."""

from __future__ import annotations

from nestgate.testbed.errors import TestbedError
from nestgate.testbed.faults import (
    app,
    build,
    buildkit,
    capacity,
    container,
    data,
    database,
    drift,
    integrity,
    network,
    scan,
    secrets,
    stack,
)
from nestgate.testbed.faults.base import Fault

ALL: dict[str, Fault] = {
    f.name: f
    for module in (container, network, app, stack, build, buildkit, data, scan, drift, secrets, database, capacity,
                   integrity)
    for f in module.FAULTS
}


def get(name: str) -> Fault:
    try:
        return ALL[name]
    except KeyError:
        raise TestbedError(f"unknown fault {name!r}: see `testbed faults`") from None


__all__ = ["ALL", "Fault", "get"]
