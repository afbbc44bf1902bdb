"""Run-wide set-up of the plugin: redaction, waivers, and whether and where the evidence bundle goes.

Bundle policy. A gate run writes `reports/<timestamp>-<gates>/` under the root dir by default
(a "gate run" is one whose paths are gate suites: `pytest`, `pytest -m security`,
`pytest tests_infra/...`); other pytest runs in the same environment write nothing.
`--nestgate-report=DIR` picks another parent (and turns the bundle on for any run),
`--nestgate-bundle=DIR` the exact directory, created if missing and refused unless empty (a stable
path for CI recipes; the deploy wrapper uses it; not together with --nestgate-report),
`--no-nestgate-report` turns it off. `--html` / `--junitxml` keep working: pytest-html and junitxml write where the
user asked and the bundle holds copies (the HTML is always self-contained).
A report directory that cannot be written stops the run before any control runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from nestgate.catalog import GATES
from nestgate.config import LoadedConfig
from nestgate.errors import NestgateError
from nestgate.gate.bundle import check_sign_key, create_bundle_dir, prepare_exact_dir
from nestgate.gate.bundle_plugin import BundlePlugin
from nestgate.gate.options import WAIVERS_ENV, selected_controls
from nestgate.gate.report import HtmlColumns
from nestgate.gate.state import WAIVERS_KEY
from nestgate.gate.verdict import VerdictPlugin
from nestgate.gate.waivers import load_run_waivers
from nestgate.redact import REDACTOR, ScrubbingStream, install_log_scrubber, register_config_secrets

_STREAMS_KEY = pytest.StashKey[tuple[Any, Any]]()


def configure(config: pytest.Config, cfg: LoadedConfig | None, verdict: VerdictPlugin) -> None:
    _configure_redaction(config, cfg)
    config.stash[WAIVERS_KEY] = load_run_waivers(config, verdict.notes)
    if sys.flags.optimize and cfg is not None:
        # -O / PYTHONOPTIMIZE strips assert statements outside pytest's rewritten test modules
        raise pytest.UsageError("python -O (or $PYTHONOPTIMIZE) strips assert statements the gate relies on: "
                                "run the gate without it")
    if hasattr(config, "workerinput") or not _bundle_wanted(config, cfg):
        return
    if _timeout_method(config) == "thread":
        # pytest-timeout's thread method os._exit()s the process on a hang: no report, no verdict
        raise pytest.UsageError("--timeout-method=thread ends the whole run on a hang and leaves no evidence; "
                                "nestgate needs the signal method (the default here)")
    for names, option in ((("html", "pytest_html.plugin"), "-p no:html"), (("junitxml",), "-p no:junitxml")):
        if not any(config.pluginmanager.has_plugin(n) for n in names):  # before any folder is made
            raise pytest.UsageError(f"the evidence bundle needs the {names[0]} report, which {option} disables "
                                    "(or give --no-nestgate-report)")
    try:
        sign_key = check_sign_key(config.getoption("nestgate_sign_key")) if config.getoption(
            "nestgate_sign_key") else None  # before any folder is made: a bad key leaves nothing behind
        bundle = _bundle_dir(config, verdict)
    except NestgateError as exc:
        raise pytest.UsageError(str(exc)) from None
    copy_html = Path(config.option.htmlpath).resolve() if config.option.htmlpath else None
    copy_junit = Path(config.option.xmlpath).resolve() if config.option.xmlpath else None
    config.option.htmlpath = str(copy_html or bundle / "report.html")
    config.option.self_contained_html = True  # evidence must open anywhere, alone
    config.option.xmlpath = str(copy_junit or bundle / "junit.xml")
    run_info = {"argv": [REDACTOR.scrub(a) for a in sys.argv], "markexpr": config.getoption("markexpr", ""),
                "selected_gates": sorted(verdict.selected), "controls": sorted(selected_controls(config) or []),
                "waivers": config.getoption("waivers") or os.environ.get(WAIVERS_ENV) or None,
                "waivers_from": "--waivers" if config.getoption("waivers") else
                f"${WAIVERS_ENV}" if os.environ.get(WAIVERS_ENV) else None,
                "xdist_workers": config.getoption("numprocesses", None),
                "deploy_manifest_sha256": config.getoption("nestgate_deploy_manifest"),
                # what else could have shaped this run: an auditor sees it beside the verdict
                "pytest_environment": {k: REDACTOR.scrub(v) for k, v in sorted(os.environ.items())
                                       if k.startswith(("PYTEST_", "PYTHON")) and k != "PYTEST_CURRENT_TEST"}}
    config.pluginmanager.register(HtmlColumns(f"nestgate evidence: {bundle.name}"), "nestgate-html")
    config.pluginmanager.register(
        BundlePlugin(bundle, cfg, verdict, copy_html, copy_junit, run_info, sign_key), "nestgate-bundle")


def _timeout_method(config: pytest.Config) -> str | None:
    try:
        return config.getoption("timeout_method", None) or config.getini("timeout_method") or None
    except ValueError:  # pytest-timeout not installed
        return None


def unconfigure(config: pytest.Config) -> None:
    streams = config.stash.get(_STREAMS_KEY, None)
    if streams is not None:
        sys.stdout, sys.stderr = streams


def _configure_redaction(config: pytest.Config, cfg: LoadedConfig | None) -> None:
    install_log_scrubber()
    REDACTOR.add_secret_env()
    if cfg is not None:
        register_config_secrets(cfg.model, cfg.resolve)
    if config.getoption("capture", "fd") == "no" and not isinstance(sys.stdout, ScrubbingStream):
        # -s: nothing is captured, so prints would reach the terminal unscrubbed
        config.stash[_STREAMS_KEY] = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = ScrubbingStream(sys.stdout), ScrubbingStream(sys.stderr)


def _is_gate_path(arg: str, rootdir: Path) -> bool:
    path = Path(arg.split("::", 1)[0])
    path = path if path.is_absolute() else (rootdir / path)
    gate_dirs = {f"tests_{g}" for g in GATES}
    if gate_dirs & set(path.parts):
        return True
    return path.is_dir() and any((path / d).is_dir() for d in gate_dirs)


def _bundle_wanted(config: pytest.Config, cfg: LoadedConfig | None) -> bool:
    if config.getoption("no_nestgate_report") or config.getoption("collectonly"):
        return False
    if config.getoption("nestgate_report") or config.getoption("nestgate_bundle"):
        return True
    rootdir = Path(str(config.rootpath))
    return cfg is not None and bool(config.args) and all(_is_gate_path(a, rootdir) for a in config.args)


def _bundle_dir(config: pytest.Config, verdict: VerdictPlugin) -> Path:
    exact = config.getoption("nestgate_bundle")
    if exact and config.getoption("nestgate_report"):
        # two places for one bundle: a pipeline must not have to guess which one won
        raise pytest.UsageError(f"--nestgate-bundle={exact} and --nestgate-report={config.getoption('nestgate_report')}"
                                " both say where the evidence bundle goes: give one")
    if exact:
        return prepare_exact_dir(Path(exact).resolve())
    parent = Path(config.getoption("nestgate_report") or Path(str(config.rootpath)) / "reports")
    label = "-".join(g for g in GATES if g in verdict.selected) or "all"
    return create_bundle_dir(parent.resolve(), label)
