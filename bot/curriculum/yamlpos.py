"""YAML parsing that remembers where every value came from.

Validation errors must name ``path:line``; PyYAML's composed node tree knows the line of
each node, so we build plain Python values from it plus a map from value path to line.

Content comes from people, so parsing is bounded while the node tree is composed, before
anything is built from it: anchors and aliases are refused (an alias shares a node, and
building plain values expands every share: the "billion laughs"), and so are documents
with too many nodes or nested too deeply. Each refusal is a ``Refused`` with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


class Refused(Exception):
    """The document breaks a limit; ``line`` (1-based) is where parsing stopped."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Bounds:
    """What one document may hold; ``parse`` refuses anything beyond."""

    max_nodes: int
    max_depth: int


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


def parse(text: str, bounds: Bounds) -> Located:
    """Parse one YAML document; raises ``yaml.YAMLError`` (with a mark) on bad syntax and
    ``Refused`` on an anchor, an alias, or a document beyond ``bounds``."""
    loader = _BoundedLoader(text, bounds)
    try:
        node = loader.get_single_node()
        located = Located(value=None)
        if node is not None:
            located.value = _build(node, (), located, loader)
        return located
    finally:
        loader.dispose()


class _BoundedLoader(yaml.SafeLoader):
    """A safe loader whose composer refuses anchors, aliases and oversized documents.

    ``compose_node`` runs once per node, before the node (or anything it refers to)
    exists, so a refused document costs no more than the events read so far.
    """

    def __init__(self, text: str, bounds: Bounds) -> None:
        super().__init__(text)
        self._bounds = bounds
        self._nodes = 0
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1 if event.start_mark else 1
        if isinstance(event, yaml.AliasEvent) or (
            isinstance(event, yaml.NodeEvent) and event.anchor is not None
        ):
            raise Refused(line, "YAML anchors and aliases are not allowed")
        self._nodes += 1
        if self._nodes > self._bounds.max_nodes:
            limit = f"{self._bounds.max_nodes:,}"
            raise Refused(line, f"file has over {limit} YAML nodes; the limit is {limit}")
        if self._depth >= self._bounds.max_depth:
            depth = self._bounds.max_depth
            raise Refused(line, f"YAML nested over {depth} levels deep; the limit is {depth}")
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


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
