"""YAML parsing that remembers where every value came from.

Validation errors must name ``path:line``; PyYAML's composed node tree knows the line of
each node, so we build plain Python values from it plus a map from value path to line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """A parsed YAML document and the 1-based line of each value path inside it."""

    value: Any
    lines: dict[PathKey, int] = field(default_factory=dict)
    duplicate_keys: list[tuple[str, int]] = field(default_factory=list)

    def line_of(self, path: PathKey) -> int:
        """The line of the deepest known prefix of ``path`` (a missing key -> its parent)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return 1


def parse(text: str) -> Located:
    """Parse one YAML document; raises ``yaml.YAMLError`` (with a mark) on bad syntax."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        located = Located(value=None)
        if node is not None:
            located.value = _build(node, (), located, loader)
        return located
    finally:
        loader.dispose()


def _build(node: yaml.Node, path: PathKey, out: Located, loader: yaml.SafeLoader) -> Any:
    out.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in result:
                out.duplicate_keys.append((str(key), line))
            out.lines[(*path, key)] = line
            result[key] = _build(value_node, (*path, key), out, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), out, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
