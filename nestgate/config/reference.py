"""The config reference: every section and key of nestgate.toml, rendered from the models themselves.

Sections are the nested models (`[security.scan]`), lists of models (`[[infra.health_endpoints]]`) and
dicts of models (`[section.<name>]`); keys are the other fields. A SecretRef is a value, written inline
(`password = { env = "NAME" }`), and is described once at the end. Types, defaults, constraints and
descriptions come from pydantic's model_fields, so the reference cannot drift from the schema.
"""

from __future__ import annotations

import json
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from nestgate.config.base import SecretRef
from nestgate.config.model import NestgateConfig

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALARS = {str: "string", int: "integer", float: "number", bool: "boolean"}
_BOUNDS = ((annotated_types.Gt, "gt", ">"), (annotated_types.Ge, "ge", ">="),
           (annotated_types.Lt, "lt", "<"), (annotated_types.Le, "le", "<="))


@dataclass(frozen=True)
class _Section:
    key: str                 # dotted, as in the TOML header
    kind: Literal["table", "array", "map"]
    model: type[BaseModel]
    field: FieldInfo | None  # the field that holds it (None for the root)


def reference_markdown() -> str:
    """The Markdown config reference: one table per TOML section (key | type | default | description)."""
    out = ["# nestgate.toml reference", "",
           "Every key is optional unless its default says *required*; unknown keys and wrong types are errors. "
           "A key's default applies when its table leaves it out; a table's default (\"Default when absent\") "
           "applies when the whole table is left out. Numbers accept integers. Credentials are never written in "
           "the file: a [SecretRef](#secretref) names an environment variable or a secret file.", ""]
    for section in _sections(NestgateConfig, "", "table", None):
        if section.field is not None:
            out += _section_block(section)
    out += ["## SecretRef", "", _cell(SecretRef.__doc__ or ""), "", *_table(SecretRef)]
    return "\n".join(out).rstrip() + "\n"


def _sections(model: type[BaseModel], key: str, kind: Literal["table", "array", "map"],
              field: FieldInfo | None) -> Iterator[_Section]:
    yield _Section(key, kind, model, field)
    for name, info in model.model_fields.items():
        if sub := _section_of(info.annotation):
            sub_kind, sub_model = sub
            yield from _sections(sub_model, f"{key}.{name}" if key else name, sub_kind, info)


def _section_of(annotation: Any) -> tuple[Literal["table", "array", "map"], type[BaseModel]] | None:
    """(kind, model) when a field is a section of its own, None when it is a key."""
    if _is_model(annotation):
        return "table", annotation
    args = get_args(annotation)
    if get_origin(annotation) is list and _is_model(args[0]):
        return "array", args[0]
    if get_origin(annotation) is dict and _is_model(args[1]):
        return "map", args[1]
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation is not SecretRef


def _section_block(section: _Section) -> list[str]:
    assert section.field is not None
    header = {"table": f"[{section.key}]", "array": f"[[{section.key}]]", "map": f"[{section.key}.<name>]"}
    lines = [f"## `{header[section.kind]}`", "", _cell(section.field.description or "")]
    default = section.field.get_default(call_default_factory=True)
    if section.kind != "table" or default is None or default != _class_default(section.model):
        lines[-1] += f" Default when absent: {_default_cell(default)}."
    lines.append("")
    rows = _table(section.model)
    return [*lines, *rows] if len(rows) > 3 else lines  # a table with keys of its own, not just sections


def _class_default(model: type[BaseModel]) -> BaseModel | None:
    """The model built from its own defaults; None when a key is required."""
    try:
        return model()
    except ValueError:
        return None


def _table(model: type[BaseModel]) -> list[str]:
    rows = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        if _section_of(info.annotation) is None:
            default = "*required*" if info.is_required() else _default_cell(info.get_default(call_default_factory=True))
            rows.append(f"| `{name}` | {_cell(_type(info.annotation, info))} | {default} | "
                        f"{_cell(info.description or '')} |")
    return [*rows, ""]


def _type(annotation: Any, info: FieldInfo | None = None) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        text = "one of " + ", ".join(_code(toml_value(a)) for a in args)
    elif origin in (Union, types.UnionType):
        text = " or ".join("not set" if a is type(None) else _type(a) for a in args)
    elif origin is list:
        text = f"array of {_type(args[0])}"
    elif origin is dict:
        text = f"table of {_type(args[1])}"
    elif annotation is SecretRef:
        text = "[SecretRef](#secretref)"
    else:
        text = _SCALARS.get(annotation, getattr(annotation, "__name__", str(annotation)))
    bounds = [f"{sign} {toml_value(getattr(m, attr))}" for m in (info.metadata if info else [])
              for cls, attr, sign in _BOUNDS if isinstance(m, cls)]
    return ", ".join([text, *bounds])


def _default_cell(value: Any) -> str:
    return "not set" if value is None else _cell(_code(toml_value(value)))


def _code(text: str) -> str:
    """A Markdown code span that survives backticks inside the text."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or fence != "`" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def toml_value(value: Any) -> str:
    """A value as TOML writes it (inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        if "'" not in value and "\\" in value and value.isprintable():
            return f"'{value}'"  # a literal string keeps regular expressions readable
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, BaseModel):
        value = {k: v for k in type(value).model_fields if (v := getattr(value, k)) is not None}
    if isinstance(value, dict):
        items = [f"{k if _BARE_KEY.fullmatch(k) else json.dumps(k)} = {toml_value(v)}" for k, v in value.items()]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(value)


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (and a heading's paragraph): one line, pipes escaped."""
    return " ".join(text.split()).replace("|", "\\|")
