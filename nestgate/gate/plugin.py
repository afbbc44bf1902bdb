"""The pytest plugin (entry point `nestgate`): gate markers and control IDs, parametrized test
IDs, fail-closed outcomes, redaction of secrets, evidence on every report, and a per-gate verdict
at the end of the run.

The plugin is installed for every pytest in the environment, so it stays inert unless the run is
a nestgate run: a target config is given or found (--target-config, $NESTGATE_CONFIG, nestgate.toml
in the root dir), a nestgate option is given, or a nestgate suite is collected (a test under
tests_<gate>/ or with a control mark; without a target config that stops the run, fail closed).
An inert run gets only the options and marker names: no verdict, no bundle, no checks of -m, no
change to outcomes or the exit status.

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
from nestgate.gate import collection, configure, fixtures, outcomes, params
from nestgate.gate.coverage import Ledger
from nestgate.gate.options import add_options, check_controls_in_gates, check_mark_expression, selected_controls
from nestgate.gate.state import CONFIG_KEY, CONFIG_PATH_KEY, LEDGER_KEY, loaded_config
from nestgate.gate.subjects import exclusion_lines
from nestgate.gate.verdict import VerdictPlugin
from nestgate.redact import REDACTOR

# The gate's hooks and fixtures, by module: registered only in a nestgate run (never imported
# into this module's namespace, which pytest registers for every run).
GATE_MODULES = (collection, params, outcomes, fixtures)
# Options that only make sense in a nestgate run: giving one makes the run a nestgate run.
_RUN_OPTIONS = ("waivers", "nestgate_report", "nestgate_bundle", "nestgate_controls", "nestgate_deploy_manifest",
                "nestgate_sign_key")
ACTIVE_KEY = pytest.StashKey[bool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


def is_active(config: pytest.Config) -> bool:
    """Whether this run is a nestgate run (the gate's hooks are registered)."""
    return config.stash.get(ACTIVE_KEY, False)


def _declared_nestgate_run(config: pytest.Config) -> bool:
    cli_value = config.getoption("--target-config")
    path = config_path(cli_value, Path(str(config.rootpath)))
    config.stash[CONFIG_PATH_KEY] = path
    return bool(cli_value or os.environ.get(ENV_VAR) or path.exists()
                or any(config.getoption(o, None) for o in _RUN_OPTIONS))


def in_nestgate_suite(item: pytest.Item) -> bool:
    """A test of a nestgate suite: it has a control mark or lives under tests_<gate>/. A gate marker
    alone (`build`, `security`) is a common name in other projects and does not count."""
    gate_dirs = {f"tests_{g}" for g in GATES}
    return item.get_closest_marker("control") is not None or bool(gate_dirs & set(Path(str(item.path)).parts))


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml read the report paths we set
def pytest_configure(config: pytest.Config) -> None:
    # Marker names only (harmless anywhere): a nestgate suite found at collection needs them under
    # --strict-markers before this plugin knows it is a nestgate run.
    for gate, title in GATES.items():
        config.addinivalue_line("markers", f"{gate}: gate marker: {title}")
    for side, meaning in SIDES.items():
        config.addinivalue_line("markers", f"{side}: side marker: {meaning}")
    config.addinivalue_line("markers", "control(id, **each): the control ID from the catalog; "
                            "keyword arguments name parameters and the function giving their values")
    config.addinivalue_line("markers", f"{params.EMPTY_MARK}(reason): internal: a control with nothing to check")
    if _declared_nestgate_run(config):
        _activate(config)


def _activate(config: pytest.Config) -> None:
    config.stash[ACTIVE_KEY] = True
    for module in GATE_MODULES:
        config.pluginmanager.register(module, f"nestgate-{module.__name__.rsplit('.', 1)[-1]}")
    check_mark_expression(config)
    markexpr = config.getoption("markexpr", "") or ""
    controls = selected_controls(config)  # a typo stops the run here, not as an empty selection later
    check_controls_in_gates(controls, markexpr)
    ledger = config.stash.setdefault(LEDGER_KEY, Ledger())
    verdict = VerdictPlugin(markexpr, controls, ledger)
    config.pluginmanager.register(verdict, "nestgate-verdict")
    path = config.stash[CONFIG_PATH_KEY]
    # Load eagerly, so a bad config stops the run before collection.
    if path.exists() or config.getoption("--target-config") or os.environ.get(ENV_VAR):
        try:
            config.stash[CONFIG_KEY] = load_config(path)
        except ConfigError as exc:
            raise pytest.UsageError(str(exc)) from None
    configure.configure(config, loaded_config(config), verdict)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # An inert run that collected a nestgate suite has no target config (else it would be a nestgate
    # run): the gate's own collection check stops it, naming the malformed tests or the missing config.
    if not is_active(config) and any(in_nestgate_suite(i) for i in items):
        collection.pytest_collection_modifyitems(config, items)


def pytest_unconfigure(config: pytest.Config) -> None:
    if is_active(config):
        configure.unconfigure(config)


def pytest_report_header(config: pytest.Config) -> list[str]:
    cfg = loaded_config(config)
    if cfg is None:
        return []
    t = cfg.model.target
    return [REDACTOR.scrub(line) for line in
            [f"nestgate target: {t.name} ({t.orchestrator} stack {t.stack!r}) from {cfg.path}", *exclusion_lines(cfg)]]
