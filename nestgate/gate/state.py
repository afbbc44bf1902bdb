"""What the plugin keeps on pytest's config and items, read by every other part of the gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from nestgate.config.load import LoadedConfig
from nestgate.gate.coverage import Ledger
from nestgate.gate.evidence import Evidence
from nestgate.gate.waivers import Waiver

CONFIG_KEY = pytest.StashKey[LoadedConfig]()
CONFIG_PATH_KEY = pytest.StashKey[Path]()
WAIVERS_KEY = pytest.StashKey[list[Waiver]]()
EVIDENCE_KEY = pytest.StashKey[Evidence]()
LEDGER_KEY = pytest.StashKey[Ledger]()  # the gate tests collection generated (nestgate.gate.coverage)


def loaded_config(config: pytest.Config) -> LoadedConfig | None:
    return config.stash.get(CONFIG_KEY, None)


def run_waivers(config: pytest.Config) -> list[Waiver]:
    """The run's waiver entries; empty without a waiver file."""
    return config.stash.get(WAIVERS_KEY, [])
