"""Top-level `secrets:` declarations read from a compose file's YAML.

`compose config` drops declared secrets that no service uses, yet SEC-02 must check every
external secret the file declares, so the file itself is read (with PyYAML; names stay as
written, uninterpolated). Shapes Compose would not accept are reported, not guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


class ComposeTextError(ValueError):
    """The file is not YAML, or its top-level secrets table has a shape Compose does not accept."""


@dataclass
class DeclaredSecret:
    key: str
    line: int
    external: bool = False
    name: str = ""  # `name:` (or the legacy `external: {name: ...}`), else the key


def _entry(key: str, line: int, spec: Any) -> DeclaredSecret:
    if spec is None:
        return DeclaredSecret(key, line, name=key)
    if not isinstance(spec, dict):
        raise ComposeTextError(f"line {line}: secret {key!r} has an unexpected value {spec!r}")
    external = spec.get("external", False)
    legacy_name = external.get("name") if isinstance(external, dict) else None
    name = spec.get("name") or legacy_name or key
    return DeclaredSecret(key, line, external=external is True or isinstance(external, dict), name=str(name))


# libyaml's safe loader when PyYAML has it: the same documents and marks, several times faster.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def declared_secrets(text: str) -> list[DeclaredSecret]:
    try:
        root = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)  # a safe loader, C or Python
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ComposeTextError(f"{where}not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict) or data.get("secrets") is None:
        return []
    table = data["secrets"]
    # Line numbers come from the node tree: where each secret's key stands in the file.
    node = next(v for k, v in root.value if k.value == "secrets")
    if not isinstance(table, dict) or not isinstance(node, yaml.MappingNode):
        raise ComposeTextError(f"line {node.start_mark.line + 1}: the top-level secrets table is not a mapping")
    lines = {k.value: k.start_mark.line + 1 for k, _ in node.value}
    return [_entry(str(key), lines.get(str(key), 0), spec) for key, spec in table.items()]
