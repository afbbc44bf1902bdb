"""Where a key sits in a YAML text (line and column), for pointing a finding at its compose line.

Compose's resolved model (`compose config`) has no line numbers, so the source file is composed
again with PyYAML, whose nodes keep their start marks. A key path is walked as far as it goes:
the caller gets the deepest node found and how much of the path matched, and falls back from
there (the key, its service, the file).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlPositionError(ValueError):
    """The text is not a YAML document PyYAML can compose."""


@dataclass(frozen=True)
class Position:
    line: int  # 1-based, as editors and SARIF count
    column: int  # 1-based
    matched: tuple[str, ...]  # the part of the requested path that was found


def compose_root(text: str) -> yaml.Node | None:
    """The document's node tree (None for an empty document); YamlPositionError naming the line."""
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise YamlPositionError(f"{where}not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlPositionError(f"not valid YAML: {exc}") from None


def _pairs(node: yaml.MappingNode) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """Key/value node pairs, own keys first, then those merged in with `<<: *anchor`."""
    merged: list[yaml.Node] = []
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "<<":
            merged += value.value if isinstance(value, yaml.SequenceNode) else [value]
        else:
            yield key, value
    for source in merged:
        if isinstance(source, yaml.MappingNode):
            yield from _pairs(source)


def _child(node: yaml.Node, segment: str) -> tuple[yaml.Node, yaml.Node] | None:
    """(where to point, what to descend into) for one path segment, or None when absent. In a list,
    a segment matches an item that is the value itself or `NAME=...` (environment in list form)."""
    if isinstance(node, yaml.MappingNode):
        for key, value in _pairs(node):
            if isinstance(key, yaml.ScalarNode) and str(key.value) == segment:
                return key, value
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if isinstance(item, yaml.ScalarNode) and (item.value == segment or
                                                       str(item.value).startswith(f"{segment}=")):
                return item, item
    return None


def key_position(root: yaml.Node | None, path: Sequence[str]) -> Position:
    """The position of the deepest node along `path` (the key itself, not its value); the document
    start (line 1, column 1, nothing matched) when not even the first segment is there."""
    here: yaml.Node | None = root
    best = Position(1, 1, ())
    for depth, segment in enumerate(path):
        found = _child(here, segment) if here is not None else None
        if found is None:
            break
        point, here = found
        best = Position(point.start_mark.line + 1, point.start_mark.column + 1, tuple(path[:depth + 1]))
    return best
