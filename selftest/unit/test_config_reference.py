"""The config reference: every key described, every section and key in the Markdown, shipped config intact."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from nestgate.config import NestgateConfig, SecretRef, load_config
from nestgate.config.infra import DEFAULT_PLACEHOLDERS
from nestgate.config.reference import reference_markdown
from nestgate.config.watch import DEFAULT_CONTROLS
from selftest.gaterun import ROOT


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Models inside a field's type: Model, Model | None, list[Model], dict[str, Model], ..."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _fields(model: type[BaseModel] = NestgateConfig, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, FieldInfo) of every field reachable from the config, SecretRef's included."""
    for name, info in model.model_fields.items():
        key = f"{prefix}{name}"
        yield key, info
        for sub in _models_in(info.annotation):
            yield from _fields(sub, f"{key}.")


def _section_header(annotation: Any, key: str) -> str | None:
    """How TOML spells the section a field opens; None for a plain key (SecretRef is a value)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation is not SecretRef:
        return f"[{key}]"
    args = get_args(annotation)
    if get_origin(annotation) is list and _models_in(args[0]) == [args[0]] and args[0] is not SecretRef:
        return f"[[{key}]]"
    if get_origin(annotation) is dict and _models_in(args[1]) == [args[1]] and args[1] is not SecretRef:
        return f"[{key}.<name>]"
    return None


def _blocks(markdown: str) -> dict[str, str]:
    """Heading text ('[security.scan]', 'SecretRef') -> the Markdown under it."""
    parts = re.split(r"^## (.+)$", markdown, flags=re.MULTILINE)
    return {heading.strip("`"): body for heading, body in zip(parts[1::2], parts[2::2], strict=True)}


def _sections_and_keys(model: type[BaseModel] = NestgateConfig, header: str = "", prefix: str = ""
                       ) -> Iterator[tuple[str, str]]:
    """(section header, key) for every plain key, by walking the models independently of reference.py."""
    for name, info in model.model_fields.items():
        sub = _section_header(info.annotation, f"{prefix}{name}")
        if sub is None:
            yield header, name
        else:
            yield sub, ""
            yield from _sections_and_keys(_models_in(info.annotation)[0], sub, f"{prefix}{name}.")


# (a) ---------------------------------------------------------------------------------------------
def test_every_field_has_a_description():
    offenders = [key for key, info in _fields() if not (info.description or "").strip()]
    assert not offenders, f"fields without a description: {', '.join(offenders)}"


def test_the_walk_reaches_nested_lists_and_secret_refs():
    keys = {key for key, _ in _fields()}
    assert {"infra.health_endpoints.timeout_s", "infra.app_reports.field", "security.scan.reports.format",
            "infra.database.password.env", "security.auth.token.file", "security.auth.login.method"} <= keys


# (b) ---------------------------------------------------------------------------------------------
def test_reference_has_a_heading_for_every_section_and_a_row_for_every_key():
    blocks = _blocks(reference_markdown())
    missing = []
    for header, key in _sections_and_keys():
        if header not in blocks:
            missing.append(f"heading {header}")
        elif key and f"| `{key}` |" not in blocks[header]:
            missing.append(f"row {header} {key}")
    for key in SecretRef.model_fields:
        if f"| `{key}` |" not in blocks.get("SecretRef", ""):
            missing.append(f"row SecretRef {key}")
    assert not missing, "; ".join(dict.fromkeys(missing))


def test_reference_rows_spell_types_and_defaults_as_toml():
    blocks = _blocks(reference_markdown())
    expected = {
        "[performance]": "| `response_time_limit_s` | number, > 0 | `2.0` | PRF-05: ",
        "[target]": '| `services` | array of string | `["app", "postgres", "redis", "nginx", "monitor"]` |',
        "[build.images]": "| `parallel` | integer, >= 1, <= 8 | `2` | BLD-01: ",
        "[security.auth]": ('| `token` | [SecretRef](#secretref) or not set | '
                            '`{ file = "secrets/sec03_session_token" }` |'),
        "[infra.database]": '| `password` | [SecretRef](#secretref) | `{ env = "POSTGRES_PASSWORD" }` |',
        "[[infra.health_endpoints]]": "| `path` | string | *required* | INF-04: ",
        "[security.isolation]": ("| `data_ports` | table of array of integer | "
                                 "`{ postgres = [5432], redis = [6379] }` |"),
        "[infra.logs]": r"| `pattern` | string | `'(?i)\b(error\|fatal\|panic\|critical)\b'` |",
        "[watch.actions]": "| `notify_command` | array of string | `[]` |",
        "[security.rotation]": "| `new_value` | [SecretRef](#secretref) or not set | not set |",
    }
    wrong = {header: row for header, row in expected.items() if row not in blocks.get(header, "")}
    assert not wrong, wrong
    assert ('Default when absent: `[{ path = "/health", timeout_s = 10.0 }, { path = "/api/health", '
            'timeout_s = 10.0 }, { path = "/api/v1/health", timeout_s = 10.0 }]`'
            ) in blocks["[[infra.health_endpoints]]"]
    assert 'Default when absent: `{ method = "POST", path = "/api/v1/auth/login" }`' in blocks["[security.auth.login]"]


def test_reference_tables_have_four_cells_per_row():
    rows = [line for line in reference_markdown().splitlines() if line.startswith("|")]
    bad = [row for row in rows if len(re.findall(r"(?<!\\)\|", row)) != 5]
    assert rows and not bad, bad[:3]


# (c) ---------------------------------------------------------------------------------------------
# Defaults the shipped nestgate.toml does not spell out: pinned, so a description edit cannot move them.
NOT_IN_SHIPPED_FILE = {
    "security.auth.username_field": "username", "security.auth.password_field": "password",
    "security.auth.token_json_path": "data.token", "security.auth.token_cookie": "token",
    "security.auth.cookie_name": "token", "security.auth.csrf_json_path": "data.csrfToken",
    "security.auth.username": "", "security.auth.password": None, "security.auth.mint": None,
    "security.hardening.sensitive_host_paths": ["/", "/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run",
                                                "/var/run", "/var/lib/docker", "/usr", "/lib", "/bin", "/sbin",
                                                "/home"],
    "security.rotation.new_value": None, "security.secrets.ages_as_of": None,
    "security.monitoring.base_url": "", "security.monitoring.heartbeat_age_field": "",
    "infra.env.placeholders": DEFAULT_PLACEHOLDERS,
    "infra.env.optional": [], "build.compose_only_files": [],
    "target.compose_profiles": "all", "target.exclude": [],
    "target.nodes": {},
    "watch.history": "reports/watch/history.sqlite", "watch.evidence_dir": "reports/watch",
    "watch.schedule": "5m:2h,15m:22h", "watch.controls": DEFAULT_CONTROLS, "watch.marker": "",
    "watch.round_timeout_s": 900.0, "watch.sample_every_s": 30.0, "watch.endpoints": ["/health", "/api/v1/health"],
    "watch.endpoint_timeout_s": 5.0,
    "watch.triggers.service_down_s": 120.0, "watch.triggers.memory_percent": 80.0,
    "watch.triggers.memory_for_s": 300.0, "watch.triggers.errors_per_minute": 10.0,
    "watch.triggers.errors_window_s": 60.0, "watch.triggers.auth_failures": 50,
    "watch.triggers.auth_window_s": 3600.0, "watch.triggers.auth_failure_pattern": "(?i)authentication failed",
    "watch.triggers.auth_services": ["app"], "watch.triggers.security_alerts": True,
    "watch.triggers.restart_grace_s": 120.0, "watch.triggers.multiple_services": 2,
    "watch.triggers.degradation_percent": 50.0, "watch.triggers.degradation_for_s": 60.0,
    "watch.triggers.degradation_min_s": 0.2, "watch.triggers.baseline_samples": 5,
    "watch.actions.restart_service": False, "watch.actions.capture_logs": False,
    "watch.actions.capture_logs_since_s": 900.0, "watch.actions.notify_webhook": "",
    "watch.actions.notify_command": [], "watch.actions.notify_timeout_s": 10.0,
    "watch.triggers.unavailable_s": 60.0, "watch.triggers.system_wide_fraction": 0.5,
    "watch.triggers.breach_window_s": 300.0, "watch.triggers.integrity_controls": ["INF-09"],
    "watch.actions.rollback_command": [], "watch.actions.rollback_timeout_s": 600.0,
    "watch.actions.rollback_cooldown_s": 1800.0, "watch.actions.incident_bundle": False,
    "watch.notify.level1.webhook": "", "watch.notify.level1.command": [],
    "watch.notify.level2.webhook": "", "watch.notify.level2.command": [],
    "watch.notify.level3.webhook": "", "watch.notify.level3.command": [],
    "watch.kpi.availability_percent": 99.9, "watch.kpi.response_time_s": 2.0,
    "watch.kpi.error_rate_percent": 1.0, "watch.kpi.rollback_s": 300.0,
}


def _at(data: Any, key: str) -> Any:
    for part in key.split("."):
        if not isinstance(data, dict) or part not in data:
            return KeyError
        data = data[part]
    return data


def test_shipped_config_loads_and_spells_out_the_defaults():
    """nestgate.toml is the MediaNest defaults written out: loading it gives exactly the models' defaults."""
    loaded = load_config(ROOT / "nestgate.toml").model
    assert loaded.model_dump() == NestgateConfig().model_dump()


def test_defaults_the_shipped_file_leaves_out_are_unchanged():
    raw = tomllib.loads((ROOT / "nestgate.toml").read_text(encoding="utf-8"))
    defaults = NestgateConfig().model_dump()
    # A list of tables is one value: its items' keys are not defaults of their own.
    keys = [header.strip("[]") if header.startswith("[[") else f"{header.strip('[]')}.{key}"
            for header, key in _sections_and_keys() if bool(key) != header.startswith("[[")]
    left_out = {key for key in keys if _at(raw, key) is KeyError}
    assert left_out == set(NOT_IN_SHIPPED_FILE), "update NOT_IN_SHIPPED_FILE to the keys nestgate.toml leaves out"
    changed = {key: _at(defaults, key) for key, value in NOT_IN_SHIPPED_FILE.items() if _at(defaults, key) != value}
    assert not changed, changed
