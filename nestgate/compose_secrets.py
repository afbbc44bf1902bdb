"""Top-level `secrets:` declarations read from compose file text.

`compose config` drops declared secrets that no service uses, yet SEC-02 must check every
external secret the file declares. This scanner reads the block-style YAML that compose files use
for that table (keys, `external: true`, `name:`, the legacy `external: {name: ...}`, and one-line
flow mappings); anything else in the block is reported as unreadable instead of being guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_KEY = re.compile(r"""^(?P<indent> *)(?P<q>["']?)(?P<key>[^"'#:\s][^"'#:]*?)(?P=q)\s*:\s*(?P<rest>.*?)\s*(#.*)?$""")


class ComposeTextError(ValueError):
    """The top-level secrets table has a shape this scanner does not read."""


@dataclass
class DeclaredSecret:
    key: str
    line: int
    external: bool = False
    name: str = ""  # `name:` if given (uninterpolated text), else the key after scanning


def _scalar(text: str) -> str:
    return text.strip().strip("'\"")


def _flow(rest: str, line: int) -> dict[str, str]:
    """`{external: true, name: x}` on one line."""
    pairs = [p.split(":", 1) for p in rest.strip()[1:-1].split(",") if p.strip()]
    if not rest.strip().endswith("}") or any(len(p) != 2 for p in pairs):
        raise ComposeTextError(f"line {line}: cannot read the flow mapping {rest!r}")
    return {_scalar(k): _scalar(v) for k, v in pairs}


def _apply(entry: DeclaredSecret, key: str, rest: str, line: int) -> None:
    """One line under a secret's key: external (flag, or legacy mapping with a name) or name."""
    if key == "external":
        if rest.startswith("{"):
            entry.external = True
            entry.name = _flow(rest, line).get("name", entry.name)
        else:
            entry.external = rest.lower() in ("true", "")  # "" : the legacy block form follows
    elif key == "name":
        entry.name = _scalar(rest)


def declared_secrets(text: str) -> list[DeclaredSecret]:
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"^secrets\s*:\s*(#.*)?$", ln)), None)
    if start is None:
        return []
    out: list[DeclaredSecret] = []
    key_indent: int | None = None
    for n, raw in enumerate(lines[start + 1:], start=start + 2):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        if not raw.startswith(" "):
            break  # the next top-level key
        m = _KEY.match(raw)
        if m is None:
            raise ComposeTextError(f"line {n}: cannot read {raw.strip()!r} in the top-level secrets table")
        indent, key, rest = len(m["indent"]), m["key"].strip(), m["rest"]
        key_indent = indent if key_indent is None else key_indent
        if indent == key_indent:
            entry = DeclaredSecret(key, n)
            if rest.startswith("{"):
                flow = _flow(rest, n)
                entry.external = flow.get("external", "false").lower() == "true"
                entry.name = flow.get("name", "")
            elif rest not in ("", "null", "~"):
                raise ComposeTextError(f"line {n}: secret {key!r} has an unexpected value {rest!r}")
            out.append(entry)
        elif out and indent > key_indent:
            _apply(out[-1], key, rest, n)
        else:
            raise ComposeTextError(f"line {n}: unexpected indentation in the top-level secrets table")
    for entry in out:
        entry.name = entry.name or entry.key
    return out
