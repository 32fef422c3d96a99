"""The one way YAML is read: safe tags only, alias expansion and nesting bounded.

    load_yaml_documents(text) -> list[Any]     every document of a stream
    load_yaml_document(text) -> Any            a single document
    load_yaml_marked(text) -> list[Marked]     every document with the line and column
                                               of each of its nodes (for error messages)

A YAML alias (`*name`) repeats its anchored node without repeating its text, so a few
hundred bytes can stand for billions of nodes ("billion laughs"): harmless while the
nodes stay shared, ruinous as soon as anything walks, copies or `repr()`s them. Before
the (fast, C) loader builds anything, a pass over the parser's events counts what the
aliases expand to; a document whose aliases add more than `MAX_ALIAS_NODES` nodes, that
uses more than `MAX_ALIASES` aliases or nests deeper than `MAX_DEPTH` is refused with a
`MapValidationError` naming the line and column of the offending alias. Text without a
`*` has no alias and skips that pass. Error messages quote at most a short prefix of
any value (`shown`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from store.errors import MapError, MapValidationError, shown

Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_ALIASES = 1_000  # alias uses per stream
MAX_ALIAS_NODES = 100_000  # nodes the aliases of a stream may add, in all
MAX_DEPTH = 200  # nesting of collections


def load_yaml_documents(text: str) -> list[Any]:
    """Every document of `text`; bombs and syntax errors raise `MapValidationError`."""
    _check_expansion(text)
    try:
        return list(yaml.load_all(text, Loader=Loader))
    except yaml.YAMLError as error:
        raise _syntax_error(error) from None


def load_yaml_document(text: str) -> Any:
    """The single document of `text`; bombs and syntax errors raise `MapValidationError`."""
    _check_expansion(text)
    try:
        return yaml.load(text, Loader=Loader)
    except yaml.YAMLError as error:
        raise _syntax_error(error) from None


Path = tuple[str | int, ...]  # keys and list indexes from a document's root to a node


@dataclass(frozen=True, slots=True)
class Marks:
    """1-based (line, column) of the nodes of one document, by path from its root.

    `at(path)` is where the value at `path` starts, or the nearest enclosing node that has a
    mark when `path` names nothing (a missing key is reported where its mapping starts);
    `key(path)` is where the key naming that value is written.
    """

    values: dict[Path, tuple[int, int]]
    keys: dict[Path, tuple[int, int]]

    def at(self, path: Path) -> tuple[int, int]:
        for end in range(len(path), -1, -1):
            if (found := self.values.get(path[:end])) is not None:
                return found
        return (1, 1)

    def key(self, path: Path) -> tuple[int, int]:
        return self.keys.get(path) or self.at(path)


@dataclass(frozen=True, slots=True)
class Marked:
    """One YAML document: its data and the marks of its nodes."""

    data: Any
    marks: Marks
    line: int  # where the document starts, 1-based


def load_yaml_marked(text: str) -> list[Marked]:
    """Every document of `text` with the marks of its nodes (same refusals as the others).

    The composed node tree is kept just long enough to read each node's start mark: the
    data is constructed from the very nodes whose marks are recorded.
    """
    _check_expansion(text)
    try:
        nodes = list(yaml.compose_all(text, Loader=Loader))
        documents = []
        for node in nodes:
            if node is None:
                continue
            data = Loader("").construct_document(node)
            documents.append(Marked(data, _marks(node), node.start_mark.line + 1))
        return documents
    except yaml.YAMLError as error:
        raise _syntax_error(error) from None


def _marks(root: yaml.Node) -> Marks:
    values: dict[Path, tuple[int, int]] = {}
    keys: dict[Path, tuple[int, int]] = {}
    stack: list[tuple[Path, yaml.Node]] = [((), root)]
    while stack:  # bounded: the expansion check capped what aliases add
        path, node = stack.pop()
        values.setdefault(path, _position(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(len(keys))
                keys.setdefault((*path, key), _position(key_node))
                stack.append(((*path, key), value_node))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(((*path, index), item) for index, item in enumerate(node.value))
    return Marks(values, keys)


def _position(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


@dataclass
class _Count:
    """What the events seen so far expand to."""

    anchors: dict[str, int] = field(default_factory=dict)  # anchor -> nodes under it
    stack: list[tuple[str | None, int]] = field(default_factory=list)  # open collections
    aliases: int = 0
    added: int = 0  # nodes the aliases stand for


def _check_expansion(text: str) -> None:
    if "*" not in text:
        return  # no alias, nothing to expand (deep nesting still fails as a syntax error)
    count = _Count()
    try:
        for event in yaml.parse(text, Loader=Loader):
            _step(count, event)
    except yaml.YAMLError as error:
        raise _syntax_error(error) from None


def _step(count: _Count, event: yaml.Event) -> None:
    if isinstance(event, yaml.CollectionStartEvent):
        count.stack.append((event.anchor, 1))
        if len(count.stack) > MAX_DEPTH:
            raise _refused(
                event, f"collections nest deeper than {MAX_DEPTH} levels", "YAML nested too deep"
            )
    elif isinstance(event, yaml.CollectionEndEvent):
        anchor, size = count.stack.pop()
        _close(count, anchor, size)
    elif isinstance(event, yaml.ScalarEvent):
        _close(count, event.anchor, 1)
    elif isinstance(event, yaml.AliasEvent):
        _alias(count, event)


def _alias(count: _Count, event: yaml.AliasEvent) -> None:
    size = count.anchors.get(event.anchor or "", 1)
    count.aliases += 1
    count.added += size
    name = shown(f"*{event.anchor}")
    if count.aliases > MAX_ALIASES:
        raise _refused(
            event, f"more than {MAX_ALIASES} aliases; the last is {name}", "YAML alias bomb"
        )
    if count.added > MAX_ALIAS_NODES:
        raise _refused(
            event,
            f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes at {name} "
            f"({size:,} nodes alone): an alias bomb?",
            "YAML alias bomb",
        )
    _close(count, None, size)


def _close(count: _Count, anchor: str | None, size: int) -> None:
    """A node of `size` nodes is complete: remember its anchor, add it to its parent."""
    if anchor is not None:
        count.anchors[anchor] = size
    if count.stack:
        parent, total = count.stack[-1]
        count.stack[-1] = (parent, total + size)


def _refused(event: yaml.Event, problem: str, kind: str) -> MapValidationError:
    mark = event.start_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
    return MapValidationError([MapError(where, f"YAML refused: {problem}", kind)])


def _syntax_error(error: yaml.YAMLError) -> MapValidationError:
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "file"
    problem = getattr(error, "problem", None) or str(error)
    message = f"YAML syntax error: {str(problem)[:300]}"
    return MapValidationError([MapError(where, message, "YAML syntax error")])
