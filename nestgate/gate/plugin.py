"""The pytest plugin (entry point `nestgate`): gate markers and control IDs, parametrized test
IDs, fail-closed outcomes, redaction of secrets, evidence on every report, and a per-gate verdict
at the end of the run.

This module wires the parts together; each concern lives in its own module of this package:
options (command line), collection (well-formed gate tests), params (subjects and test IDs),
fixtures (config, evidence, probes), outcomes (fail closed, waivers, evidence properties),
verdict (GO / NO-GO), configure, bundle and report (the evidence bundle and its HTML).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nestgate.catalog import GATES, SIDES
from nestgate.config import config_path, load_config
from nestgate.config.load import ENV_VAR
from nestgate.errors import ConfigError
from nestgate.gate import configure
from nestgate.gate.collection import pytest_collection_modifyitems
from nestgate.gate.coverage import Ledger
from nestgate.gate.fixtures import declared, engine, evidence, http, stack, target_config, waivers
from nestgate.gate.options import add_options, check_controls_in_gates, check_mark_expression, selected_controls
from nestgate.gate.outcomes import pytest_runtest_makereport, pytest_warning_recorded
from nestgate.gate.params import EMPTY_MARK, nestgate_control, pytest_generate_tests, pytest_pyfunc_call
from nestgate.gate.state import CONFIG_KEY, CONFIG_PATH_KEY, LEDGER_KEY, loaded_config
from nestgate.gate.verdict import VerdictPlugin
from nestgate.redact import REDACTOR

# Hooks and fixtures of the other modules, registered through this one (pytest reads a plugin's
# attributes): listing them keeps each part in its own file and the plugin one entry point.
__all__ = [
    "declared", "engine", "evidence", "http", "nestgate_control", "pytest_addoption", "pytest_collection_modifyitems",
    "pytest_configure", "pytest_generate_tests", "pytest_pyfunc_call", "pytest_report_header",
    "pytest_runtest_makereport", "pytest_unconfigure", "pytest_warning_recorded", "stack", "target_config",
    "waivers",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml read the report paths we set
def pytest_configure(config: pytest.Config) -> None:
    for gate, title in GATES.items():
        config.addinivalue_line("markers", f"{gate}: gate marker: {title}")
    for side, meaning in SIDES.items():
        config.addinivalue_line("markers", f"{side}: side marker: {meaning}")
    config.addinivalue_line("markers", "control(id, **each): the control ID from the catalog; "
                            "keyword arguments name parameters and the function giving their values")
    config.addinivalue_line("markers", f"{EMPTY_MARK}(reason): internal: a control with nothing to check")
    check_mark_expression(config)
    markexpr = config.getoption("markexpr", "") or ""
    controls = selected_controls(config)  # a typo stops the run here, not as an empty selection later
    check_controls_in_gates(controls, markexpr)
    ledger = config.stash.setdefault(LEDGER_KEY, Ledger())
    verdict = VerdictPlugin(markexpr, controls, ledger)
    config.pluginmanager.register(verdict, "nestgate-verdict")
    cli_value = config.getoption("--target-config")
    path = config_path(cli_value, Path(str(config.rootpath)))
    config.stash[CONFIG_PATH_KEY] = path
    # Load eagerly when this is a nestgate run, so a bad config stops the run before collection.
    # Elsewhere (the plugin is installed for every pytest in the environment) stay quiet unless
    # gate tests are collected.
    if cli_value or os.environ.get(ENV_VAR) or path.exists():
        try:
            config.stash[CONFIG_KEY] = load_config(path)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    configure.configure(config, loaded_config(config), verdict)


def pytest_unconfigure(config: pytest.Config) -> None:
    configure.unconfigure(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    cfg = loaded_config(config)
    if cfg is None:
        return []
    t = cfg.model.target
    return [REDACTOR.scrub(f"nestgate target: {t.name} ({t.orchestrator} stack {t.stack!r}) from {cfg.path}")]
