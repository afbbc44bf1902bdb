"""Evidence values as an auditor reads them: `key: value` lines, never raw JSON (pure, no I/O)."""

from __future__ import annotations

import json
from typing import Any

MAX_LINES = 12  # a table cell; the row's extra and evidence.json hold every line
LINE_LIMIT = 300


def scalar(value: Any) -> str:
    """A leaf as text: strings as they are, numbers as written, true/false/null as JSON spells them."""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _is_finding(value: Any) -> bool:
    return isinstance(value, dict) and "message" in value


def _is_waiver(value: Any) -> bool:
    return isinstance(value, dict) and {"justification", "owner"} <= set(value)


def kv_lines(value: Any, key: str = "") -> list[str]:
    """One `key: value` line per leaf; nested keys joined with dots, list items as key[i].
    Findings and waivers read as their own sentence; a list of plain values stays on one line."""
    label = f"{key}: " if key else ""
    if value in (None, "", [], {}):
        return [f"{label}(none)"] if key else []
    if _is_waiver(value):
        return [f"{label}{value['justification']} (owner {value['owner']}, expires {value.get('expires', '?')})"]
    if _is_finding(value):
        return [f"{label}{value['message']}"]
    if isinstance(value, dict):
        return [line for k, v in value.items() for line in kv_lines(v, f"{key}.{k}" if key else str(k))]
    if isinstance(value, list):
        if all(_is_finding(v) for v in value):
            return [f"{label}{v['message']}" for v in value]
        if not any(isinstance(v, dict | list) for v in value):  # sources: one a line; under a key: one line
            return [label + ", ".join(scalar(v) for v in value)] if key else [scalar(v) for v in value]
        return [line for i, v in enumerate(value) for line in kv_lines(v, f"{key}[{i}]")]
    return [label + scalar(value)]


def cell_text(value: Any, limit: int = MAX_LINES) -> str:
    """kv_lines for a table cell: newline-separated (the report's CSS keeps the breaks), capped."""
    lines = [line if len(line) <= LINE_LIMIT else line[:LINE_LIMIT - 1] + "…" for line in kv_lines(value)]
    if len(lines) > limit:
        lines = [*lines[:limit - 1], f"… {len(lines) - limit + 1} more lines in the row's details"]
    return "\n".join(lines)
