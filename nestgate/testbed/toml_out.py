"""A minimal TOML writer for the generated target config (tables, scalars, lists, inline tables)."""

from __future__ import annotations

from typing import Any

from nestgate.config.reference import toml_value


def dumps(data: dict[str, Any], header: str = "") -> str:
    """Top-level scalars, then one [table] per nested dict (dicts under a key named `*_ref` or in
    lists are written inline)."""
    lines = [f"# {ln}" for ln in header.splitlines()]

    def table(prefix: str, body: dict[str, Any]) -> None:
        scalars = {k: v for k, v in body.items() if not _is_table(k, v)}
        if prefix and (scalars or not body):
            lines.append("")
            lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {toml_value(v)}" for k, v in scalars.items())
        for k, v in body.items():
            if _is_table(k, v):
                table(f"{prefix}.{k}" if prefix else k, v)

    table("", data)
    return "\n".join(lines).strip() + "\n"


def _is_table(key: str, value: Any) -> bool:
    return isinstance(value, dict) and not getattr(value, "inline", False)


class Inline(dict):
    """A dict written as an inline table (e.g. a credential reference { file = "..." })."""

    inline = True
