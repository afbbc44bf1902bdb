"""Errors the testbed reports to a person as one line (CLI exit 2)."""

from __future__ import annotations


class TestbedError(Exception):
    """A user-facing problem: unknown fault, no swarm, daemon down, a failed build or deploy."""

    __test__ = False  # not a pytest test class, despite the name
