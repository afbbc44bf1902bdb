"""The seeded faults, by name. Each makes exactly one control of the catalog (nestgate/catalog.py) fail."""

from __future__ import annotations

from nestgate.testbed.errors import TestbedError
from nestgate.testbed.faults import app, build, container, data, drift, network, scan, secrets, stack
from nestgate.testbed.faults.base import Fault

ALL: dict[str, Fault] = {
    f.name: f
    for module in (container, network, app, stack, build, data, scan, drift, secrets)
    for f in module.FAULTS
}


def get(name: str) -> Fault:
    try:
        return ALL[name]
    except KeyError:
        raise TestbedError(f"unknown fault {name!r}: see `testbed faults`") from None


__all__ = ["ALL", "Fault", "get"]
