"""The pytest plugin: gate markers and control IDs, parametrized test IDs, fail-closed outcomes,
redaction of secrets, evidence on every report, and a per-gate verdict at the end of the run.

A gate test is any test under a `tests_<gate>/` directory or carrying a gate or control marker.
Each must carry exactly one gate marker, one side marker (declared/runtime) and one control ID
from the catalog, whose gate matches; collection stops otherwise, naming the test.

Every gate test's report carries its evidence as user properties (nestgate.control, .gate,
.checklist_line, .target, .measured, .threshold, .sources, .timestamp, .evidence, and .waiver when
waived): they travel through xdist, become JUnit <property> elements, HTML columns and extras, and
evidence.json records (nestgate.reporting, nestgate.report_plugin). A failure of a control with an
unexpired waiver (--waivers=FILE) is reported as skipped with reason "WAIVED ... | failure: ...".
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nestgate import reporting
from nestgate.catalog import CONTROLS, GATES, SIDES
from nestgate.config import LoadedConfig, config_path, load_config
from nestgate.config.load import ENV_VAR
from nestgate.declared import LazyDeclared
from nestgate.errors import ConfigError, NestgateError
from nestgate.evidence import Evidence
from nestgate.probes.engine import Engine
from nestgate.probes.http import Http
from nestgate.redact import REDACTOR
from nestgate.verdict import CONTROL_PROP, WAIVER_PROP, VerdictPlugin, selected_gates
from nestgate.waivers import Waiver, active_waiver

CONFIG_KEY = pytest.StashKey[LoadedConfig]()
CONFIG_PATH_KEY = pytest.StashKey[Path]()
EVIDENCE_KEY = pytest.StashKey[Evidence]()
EMPTY_MARK = "nestgate_empty"


# -- options, markers, config ------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("nestgate", "nestgate deployment gate")
    group.addoption("--target-config", default=None, metavar="PATH",
                    help="target config TOML; use the --target-config=PATH form (default: $NESTGATE_CONFIG, else "
                    "nestgate.toml in the root dir)")
    reporting.add_options(group)


@pytest.hookimpl(tryfirst=True)  # before pytest-html and junitxml read the report paths we set
def pytest_configure(config: pytest.Config) -> None:
    for gate, title in GATES.items():
        config.addinivalue_line("markers", f"{gate}: gate marker: {title}")
    for side, meaning in SIDES.items():
        config.addinivalue_line("markers", f"{side}: side marker: {meaning}")
    config.addinivalue_line("markers", "control(id, **each): the control ID from the catalog; "
                            "keyword arguments name parameters and the function giving their values")
    config.addinivalue_line("markers", f"{EMPTY_MARK}(reason): internal: a control with nothing to check")
    _check_mark_expression(config)
    verdict = VerdictPlugin(selected_gates(config.getoption("markexpr", "") or ""))
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
    reporting.configure(config, loaded_config(config), verdict)


def pytest_unconfigure(config: pytest.Config) -> None:
    reporting.unconfigure(config)


_MARK_WORD = re.compile(r"[A-Za-z_][\w.]*")
_MARK_KEYWORDS = {"and", "or", "not", "True", "False", "None"}


def _check_mark_expression(config: pytest.Config) -> None:
    """`-m secuirty` must stop the run, not select nothing: whatever the user's ini says."""
    expr = config.getoption("markexpr", "") or ""
    without_args = re.sub(r"\([^)]*\)", "", expr)  # marker(kw=...) arguments are not marker names
    known = {line.split(":", 1)[0].split("(", 1)[0].strip() for line in config.getini("markers")}
    known |= {"skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings", "timeout"}
    unknown = sorted(set(_MARK_WORD.findall(without_args)) - _MARK_KEYWORDS - known)
    if unknown:
        raise pytest.UsageError(f"unknown marker(s) in -m {expr!r}: {', '.join(unknown)} "
                                f"(gates: {', '.join(GATES)}; sides: {', '.join(SIDES)})")


def loaded_config(config: pytest.Config) -> LoadedConfig | None:
    return config.stash.get(CONFIG_KEY, None)


def pytest_report_header(config: pytest.Config) -> list[str]:
    cfg = loaded_config(config)
    if cfg is None:
        return []
    t = cfg.model.target
    return [f"nestgate target: {t.name} ({t.orchestrator} stack {t.stack!r}) from {cfg.path}"]


# -- which tests are gate tests, and are they well formed --------------------------------
def _gate_dir(item: pytest.Item) -> str | None:
    for part in Path(str(item.path)).parts:
        if part.startswith("tests_") and part[len("tests_"):] in GATES:
            return part[len("tests_"):]
    return None


def _marker_names(item: pytest.Item) -> list[str]:
    return [m.name for m in item.iter_markers()]


def is_gate_test(item: pytest.Item) -> bool:
    names = _marker_names(item)
    return _gate_dir(item) is not None or "control" in names or any(g in names for g in GATES)


def control_of(item: pytest.Item) -> str | None:
    marks = list(item.iter_markers("control"))
    return str(marks[0].args[0]) if len(marks) == 1 and marks[0].args else None


def gate_problems(item: pytest.Item) -> list[str]:
    """Why this gate test is malformed; empty when it is fine."""
    names = _marker_names(item)
    gates = sorted({n for n in names if n in GATES})
    sides = sorted({n for n in names if n in SIDES})
    controls = [m.args[0] if m.args else None for m in item.iter_markers("control")]
    problems = []
    if len(gates) != 1:
        problems.append(f"needs exactly one gate marker ({', '.join(GATES)}), has {gates or 'none'}")
    if len(sides) != 1:
        problems.append(f"needs exactly one side marker ({', '.join(SIDES)}), has {sides or 'none'}")
    if len(controls) != 1:
        problems.append(f"needs exactly one control ID marker, has {len(controls)}")
    elif controls[0] not in CONTROLS:
        problems.append(f"control ID {controls[0]!r} is not in the catalog")
    elif len(gates) == 1 and CONTROLS[controls[0]].gate != gates[0]:
        problems.append(f"control {controls[0]} belongs to gate {CONTROLS[controls[0]].gate!r}, "
                        f"not {gates[0]!r}")
    folder = _gate_dir(item)
    if folder and len(gates) == 1 and folder != gates[0]:
        problems.append(f"lives in tests_{folder}/ but is marked {gates[0]!r}")
    return problems


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Runs before -m deselection: a malformed test fails the run even when not selected.
    bad = [f"{item.nodeid}: {'; '.join(p)}" for item in items if is_gate_test(item)
           for p in [gate_problems(item)] if p]
    if bad:
        raise pytest.UsageError("malformed gate test(s):\n  " + "\n  ".join(bad))
    if loaded_config(config) is None and any(is_gate_test(item) for item in items):
        raise pytest.UsageError(f"{config.stash[CONFIG_PATH_KEY]}: target config not found "
                                f"(give --target-config PATH or set ${ENV_VAR})")
    wanted = reporting.selected_controls(config)
    if wanted is not None:
        dropped = [i for i in items if is_gate_test(i) and control_of(i) not in wanted]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [i for i in items if i not in dropped]


# -- parametrization: test IDs read like the checklist ------------------------------------
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
    if not sources:
        metafunc.parametrize("nestgate_control", [cid], ids=[cid], indirect=True)
        return
    cfg = loaded_config(metafunc.config)
    for argname, source in sources.items():
        values = dict(_subjects(source(cfg))) if cfg is not None else {}
        if values:
            params = [pytest.param(v, id=f"{cid}[{k}]") for k, v in values.items()]
        else:
            reason = f"{cid}: the target config gives no {argname} to check ({source.__name__})"
            params = [pytest.param(None, id=f"{cid}[no-{argname}]", marks=pytest.mark.nestgate_empty(reason))]
        metafunc.parametrize(argname, params)


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


# -- fixtures every control may use -------------------------------------------------------
@pytest.fixture(scope="session")
def target_config(request: pytest.FixtureRequest) -> LoadedConfig:
    cfg = loaded_config(request.config)
    if cfg is None:
        raise ConfigError(f"{request.config.stash[CONFIG_PATH_KEY]}: target config not found")
    return cfg


@pytest.fixture
def evidence(request: pytest.FixtureRequest, target_config: LoadedConfig) -> Evidence:
    cid = control_of(request.node)
    if cid is None:
        raise NestgateError("the evidence fixture is for gate tests (control marker missing)")
    callspec = getattr(request.node, "callspec", None)
    subject = ",".join(str(v) for k, v in (callspec.params.items() if callspec else [])
                       if k != "nestgate_control")
    ev = Evidence(control_id=cid, target=f"{target_config.model.target.stack}"
                  + (f"/{subject}" if subject else ""))
    request.node.stash[EVIDENCE_KEY] = ev
    return ev


@pytest.fixture(scope="session")
def engine(target_config: LoadedConfig) -> Engine:
    """The Docker engine; connects on first use, so an unreachable daemon fails the control."""
    t = target_config.model.target
    return Engine(t.docker_host, t.call_timeout_s, t.stack, t.orchestrator)


@pytest.fixture(scope="session")
def declared(target_config: LoadedConfig) -> LazyDeclared:
    """The compose files as the real Compose CLI resolves them; loaded on first use."""
    return LazyDeclared(target_config)


@pytest.fixture(scope="session")
def http(target_config: LoadedConfig) -> Http:
    t = target_config.model.target
    return Http(t.base_url, t.call_timeout_s)


@pytest.fixture(scope="session")
def waivers(request: pytest.FixtureRequest) -> list[Waiver]:
    """The run's waiver entries (also for finding IDs such as CVEs); empty without a waiver file."""
    return request.config.stash.get(reporting.WAIVERS_KEY, [])


# -- outcomes: fail closed, one clear line, no secrets -------------------------------------
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not is_gate_test(item):
        return
    cid = control_of(item)
    excinfo = call.excinfo
    if excinfo is not None and isinstance(excinfo.value, NestgateError):
        report.longrepr = f"{cid}: evidence unavailable: {excinfo.value}"
    elif excinfo is not None and excinfo.errisinstance(AssertionError) and report.when == "call":
        report.longrepr = f"{cid}: {control_message(excinfo.value)}"
    elif excinfo is not None and "from pytest-timeout" in str(excinfo.value):
        # A hung probe fails its own control, in one line naming what it was waiting for.
        ev = item.stash.get(EVIDENCE_KEY, None)
        last = f"; last source: {ev.sources[-1]}" if ev is not None and ev.sources else ""
        report.longrepr = f"{cid}: evidence unavailable: hung: {str(excinfo.value).strip()}{last}"
    if report.skipped:
        # A control never skips: a skip (or xfail) is counted as a failure with its reason.
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        if hasattr(report, "wasxfail"):
            reason = f"xfail: {report.wasxfail}"
            del report.wasxfail
        report.outcome = "failed"
        report.longrepr = f"{cid}: a control may not skip ({reason})"
    waiver = _waive(item, report, cid)
    _scrub(report)
    props: list[tuple[str, str]] = []
    if report.when == "call" or not report.passed:
        props.append((CONTROL_PROP, cid or ""))
    if cid in CONTROLS and (report.when == "call" or (report.when == "setup" and not report.passed)):
        record = _evidence_record(item, cid)
        props += [(f"nestgate.{name}", REDACTOR.scrub(value if isinstance(value, str) else json.dumps(value)))
                  for name, value in record.items() if name != "control_id"]
        props.append(("nestgate.evidence", json.dumps(REDACTOR.scrub_any(record))))
        if waiver is not None:
            props.append((WAIVER_PROP, json.dumps(waiver)))
        _add_html_extra(report, REDACTOR.scrub_any({**record, "waiver": waiver}))
    # The report is what xdist and the HTML row see; junitxml writes the item's list (it reads
    # the teardown report, which pytest builds from item.user_properties).
    for target in (report.user_properties, item.user_properties):
        target.extend(p for p in props if p not in target)


def _waive(item: pytest.Item, report: pytest.TestReport, cid: str | None) -> dict[str, Any] | None:
    """A failure of a control with an unexpired waiver is reported as skipped, reason WAIVED."""
    if not report.failed or cid is None:
        return None
    waiver = active_waiver(item.config.stash.get(reporting.WAIVERS_KEY, []), cid)
    if waiver is None:
        return None
    failure = (report.longreprtext or "").strip().splitlines() or ["(no message)"]
    reason = (f"{cid}: WAIVED until {waiver.expires} (owner {waiver.owner}): {waiver.justification}"
              f" | failure: {failure[-1] if len(failure) > 1 and not failure[0].startswith(cid) else failure[0]}")
    report.outcome = "skipped"
    report.longrepr = (str(item.path), (item.location[1] or 0) + 1, reason)
    return {"id": waiver.id, "justification": waiver.justification, "owner": waiver.owner,
            "expires": waiver.expires.isoformat(), "line": waiver.line, "failure": "\n".join(failure[:20])}


def _evidence_record(item: pytest.Item, cid: str) -> dict[str, Any]:
    ev = item.stash.get(EVIDENCE_KEY, None)
    if ev is None:  # the control failed before it asked for evidence: still say what and where
        cfg = loaded_config(item.config)
        ev = Evidence(control_id=cid, target=cfg.model.target.stack if cfg else "")
    return ev.to_dict()


def _add_html_extra(report: pytest.TestReport, record: dict[str, Any]) -> None:
    try:
        from pytest_html import extras
    except ImportError:  # pragma: no cover - pytest-html is a dependency
        return
    from nestgate.report_plugin import evidence_html

    report.extras = [*getattr(report, "extras", []), extras.html(evidence_html(record))]


def control_message(error: BaseException) -> str:
    """The control's own assertion message, without pytest's rewritten `assert ...` explanation
    (which an auditor cannot read); a bare `assert` keeps that explanation, being all there is."""
    text = str(error)
    message, sep, _ = text.partition("\nassert ")
    return message if sep and message.strip() else text


def _scrub(report: pytest.TestReport) -> None:
    if report.longrepr is not None:
        if isinstance(report.longrepr, tuple):
            report.longrepr = REDACTOR.scrub_any(report.longrepr)
        else:
            text = str(report.longrepr)
            clean = REDACTOR.scrub(text)
            if clean != text:
                report.longrepr = clean
    report.sections = [(name, REDACTOR.scrub(content)) for name, content in report.sections]


@pytest.hookimpl(tryfirst=True)
def pytest_warning_recorded(warning_message: Any, when: str, nodeid: str, location: Any) -> None:
    """The warnings summary prints messages verbatim: scrub them before the terminal sees them."""
    text = str(warning_message.message)
    clean = REDACTOR.scrub(text)
    if clean != text:
        try:
            warning_message.message = warning_message.category(clean)
        except Exception:
            warning_message.message = UserWarning(clean)
