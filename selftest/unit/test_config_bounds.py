"""Config bounds: a value that would make its check vacuous is refused with one line naming the key.

The numeric fields are found by walking the models, so a new timeout or limit without a bound fails
here; each bound is then tried from both sides through load_config, as a user's file would be.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import annotated_types
import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from nestgate.config import NestgateConfig, load_config
from nestgate.errors import ConfigError
from selftest.gaterun import write_config

# Numbers inside containers, bounded by a validator of their own (tested below by name).
NESTED_NUMBERS = {"security.isolation.data_ports"}
# Cross-field rules a lone boundary value would break: keys set alongside it so that only the bound is tried.
COMPANIONS: dict[str, dict[str, Any]] = {
    "performance.response_timeout_s": {"performance.response_time_limit_s": 1e-4},
    # a mint section needs its secret and claims besides the bound under test
    "security.auth.mint.ttl_s": {"security.auth.mint.secret": {"env": "JWT_SECRET"},
                                 "security.auth.mint.claims": {"userId": "1"}}}
EPSILON = 1e-3  # just inside a strict (gt) bound


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _numbers_in(annotation: Any) -> bool:
    if annotation in (int, float):
        return True
    return any(_numbers_in(arg) for arg in get_args(annotation))


def _number_fields(model: type[BaseModel] = NestgateConfig, prefix: str = "") -> Iterator[tuple[str, FieldInfo]]:
    """(dotted key, FieldInfo) of every field holding a number, at any depth (list items' keys without index)."""
    for name, info in model.model_fields.items():
        subs = _models_in(info.annotation)
        if subs:
            for sub in subs:
                yield from _number_fields(sub, f"{prefix}{name}.")
        elif _numbers_in(info.annotation):
            yield f"{prefix}{name}", info


NUMBER_FIELDS = dict(_number_fields())
SCALARS = {key: info for key, info in NUMBER_FIELDS.items() if info.annotation in (int, float)}


def _bounds(info: FieldInfo) -> list[tuple[str, float]]:
    return [(kind, getattr(m, kind)) for m in info.metadata for kind in ("gt", "ge", "le")
            if isinstance(m, getattr(annotated_types, kind.capitalize()))]


def _list_of_models(model: type[BaseModel], name: str) -> bool:
    info = model.model_fields[name]
    return bool(_models_in(info.annotation)) and "list[" in str(info.annotation)


def _document(values: dict[str, Any]) -> dict[str, Any]:
    """The TOML data setting each dotted key; a list-of-tables step gets its default first item."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        node, model = data, NestgateConfig
        *steps, last = key.split(".")
        for step in steps:
            info = model.model_fields[step]
            if _list_of_models(model, step):
                if step not in node:
                    first = info.get_default(call_default_factory=True)[0]
                    node[step] = [first.model_dump(mode="json", exclude_none=True)]
                node = node[step][0]
            else:
                node = node.setdefault(step, {})
            model = _models_in(info.annotation)[0]
        node[last] = value
    return data


def _toml_key(key: str) -> str:
    """The key as the error names it: list items carry their index."""
    node, out = NestgateConfig, []
    for step in key.split("."):
        out.append(step)
        if step in node.model_fields and _list_of_models(node, step):
            out.append("0")
        if step in node.model_fields and _models_in(node.model_fields[step].annotation):
            node = _models_in(node.model_fields[step].annotation)[0]
    return ".".join(out)


def _load(tmp_path: Path, data: dict[str, Any]):
    return load_config(write_config(data, tmp_path))


def _refusal(tmp_path: Path, text: str) -> str:
    path = tmp_path / "nestgate.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    return str(err.value).removeprefix(f"{path}: ")


# -- the walk ------------------------------------------------------------------------------------
def test_the_walk_finds_the_numbers_of_every_section():
    assert {"target.call_timeout_s", "infra.backup.attempts", "infra.health_endpoints.timeout_s",
            "security.scan.reports.max_age_hours", "security.secrets.expected_count", "infra.database.port",
            "performance.cpu_percent_limit", "watch.kpi.error_rate_percent", "build.images.parallel",
            "security.isolation.data_ports"} <= set(NUMBER_FIELDS)
    assert len(SCALARS) >= 50


def test_every_number_has_a_lower_bound():
    unbounded = [key for key, info in SCALARS.items() if not {k for k, _ in _bounds(info)} & {"gt", "ge"}]
    assert not unbounded, f"numbers without a lower bound: {unbounded}"
    assert set(NUMBER_FIELDS) - set(SCALARS) == NESTED_NUMBERS


def test_percentages_and_ports_have_their_upper_bound():
    upper = {key: dict(_bounds(info)).get("le") for key, info in SCALARS.items()}
    assert {k: v for k, v in upper.items() if k.endswith("_percent") or "_percent_" in k} == {
        "performance.memory_percent_limit": 100, "performance.cpu_percent_limit": 100,
        "watch.triggers.memory_percent": 100, "watch.triggers.degradation_percent": None,
        "watch.kpi.availability_percent": 100, "watch.kpi.error_rate_percent": 100}
    assert upper["infra.database.port"] == upper["infra.redis.port"] == 65535


# -- every bound, from both sides ----------------------------------------------------------------
# kind of bound -> (pydantic's words, how far past the bound the refused value lies)
OUTSIDE = {"gt": ("greater than", 0), "ge": ("greater than or equal to", -1), "le": ("less than or equal to", 1)}
CASES = [pytest.param(key, kind, bound, id=f"{key}-{kind}-{bound}")
         for key, info in SCALARS.items() for kind, bound in _bounds(info)]


@pytest.mark.parametrize(("key", "kind", "bound"), CASES)
def test_a_value_past_the_bound_is_one_line_naming_the_key(tmp_path, key, kind, bound):
    words, offset = OUTSIDE[kind]
    path = write_config(_document({key: SCALARS[key].annotation(bound + offset), **COMPANIONS.get(key, {})}), tmp_path)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: {_toml_key(key)}: Input should be {words} {bound}"


@pytest.mark.parametrize(("key", "kind", "bound"), CASES)
def test_the_boundary_itself_loads(tmp_path, key, kind, bound):
    kind_of = SCALARS[key].annotation
    value = kind_of(bound + EPSILON) if kind == "gt" and kind_of is float else kind_of(bound + (kind == "gt"))
    loaded = _load(tmp_path, _document({key: value, **COMPANIONS.get(key, {})})).model
    node: Any = loaded
    for step in key.split("."):
        node = getattr(node, step)
        node = node[0] if isinstance(node, list) else node
    assert node == value


# -- the cases of issue 14, as written ------------------------------------------------------------
@pytest.mark.parametrize(("text", "problem"), [
    ("[target]\ncall_timeout_s = -1\n", "target.call_timeout_s: Input should be greater than 0"),
    ("[infra.services]\nwindow_min = -60\n", "infra.services.window_min: Input should be greater than 0"),
    ("[infra.logs]\nwindow_min = -60\n", "infra.logs.window_min: Input should be greater than 0"),
    ("[security.secrets]\nexpected_count = -3\n",
     "security.secrets.expected_count: Input should be greater than or equal to 1"),
    ("[infra.backup]\nattempts = 0\n", "infra.backup.attempts: Input should be greater than or equal to 1"),
    ("[infra]\nrollback_limit_s = -5\n", "infra.rollback_limit_s: Input should be greater than 0"),
])
def test_the_issue_cases_are_refused(tmp_path, text, problem):
    assert _refusal(tmp_path, text) == problem


@pytest.mark.parametrize(("text", "problem"), [
    # a list of tables names the item (0-based, as pydantic counts)
    ('[[infra.health_endpoints]]\npath = "/health"\n\n[[infra.health_endpoints]]\npath = "/ready"\ntimeout_s = 0\n',
     "infra.health_endpoints.1.timeout_s: Input should be greater than 0"),
    ('[[security.scan.reports]]\npath = "t.json"\nformat = "trivy"\nmax_age_hours = -24\n',
     "security.scan.reports.0.max_age_hours: Input should be greater than 0"),
    # TOML's inf and nan: an endless limit passes everything, nan compares false to every bound
    ("[performance]\nbundle_limit_mb = inf\n", "performance.bundle_limit_mb: Input should be a finite number"),
    ("[security.secrets]\nmax_age_days = nan\n", "security.secrets.max_age_days: Input should be a finite number"),
    ("[watch.kpi]\nerror_rate_percent = -inf\n", "watch.kpi.error_rate_percent: Input should be a finite number"),
    # ranges with two ends
    ("[performance]\ncpu_percent_limit = 150\n",
     "performance.cpu_percent_limit: Input should be less than or equal to 100"),
    ("[infra.redis]\nport = 0\n", "infra.redis.port: Input should be greater than or equal to 1"),
    ("[security.isolation]\ndata_ports = { postgres = [5432, 0], redis = [70000] }\n",
     "security.isolation.data_ports: Value error, ports are 1 to 65535, not postgres = 0, redis = 70000"),
    # lists whose emptiness would switch a check off silently
    ("[target]\ncompose_files = []\n",
     "target.compose_files: List should have at least 1 item after validation, not 0"),
    ("[watch]\nendpoints = []\n", "watch.endpoints: List should have at least 1 item after validation, not 0"),
    ("[security.hardening]\nsensitive_host_paths = []\n",
     "security.hardening.sensitive_host_paths: List should have at least 1 item after validation, not 0"),
    ("[infra.env]\nplaceholders = {}\n",
     "infra.env.placeholders: Dictionary should have at least 1 item after validation, not 0"),
])
def test_nested_items_non_finite_numbers_ranges_and_empty_lists(tmp_path, text, problem):
    assert _refusal(tmp_path, text) == problem


def test_several_problems_stay_on_one_line(tmp_path):
    message = _refusal(tmp_path, "[target]\ncall_timeout_s = 0\n\n[infra.backup]\nattempts = 0\n")
    assert message == ("target.call_timeout_s: Input should be greater than 0; "
                       "infra.backup.attempts: Input should be greater than or equal to 1")


def test_documented_zeros_and_the_ends_of_ranges_load(tmp_path):
    data = {"watch": {"triggers": {"degradation_for_s": 0, "degradation_min_s": 0}, "kpi": {
        "error_rate_percent": 0, "availability_percent": 100}},
        "infra": {"database": {"port": 65535}, "redis": {"port": 1}},
        "security": {"isolation": {"data_ports": {"postgres": [1, 65535], "redis": []}}},
        "performance": {"memory_percent_limit": 100, "cpu_percent_limit": 100}}
    model = _load(tmp_path, data).model
    assert (model.watch.triggers.degradation_for_s, model.watch.kpi.error_rate_percent) == (0, 0)
    assert model.security.isolation.data_ports == {"postgres": [1, 65535], "redis": []}
    assert math.isclose(model.performance.cpu_percent_limit, 100)
