"""YAML loaded safely, with the line and column of every value and duplicate keys refused.

Analysts need errors that point at a line. PyYAML's safe composer keeps a mark on every node; this
module walks the node tree into plain data and a map from each value's path (a tuple of keys and
indexes) to its position, so later stages stay plain data and still report `file:line:column`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine import expr
from engine.errors import RuleError

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """A loaded YAML document: its data, where each value sits, and its problems."""

    path: str
    data: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[tuple[PathKey, str], tuple[int, int]] = field(default_factory=dict)
    scalar_styles: dict[PathKey, str | None] = field(default_factory=dict)
    errors: list[RuleError] = field(default_factory=list)

    def pos(self, key: PathKey) -> tuple[int, int]:
        """1-based line and column of the value at `key`, or of its nearest located parent."""
        probe = key
        while probe not in self.positions and probe:
            probe = probe[:-1]
        return self.positions.get(probe, (1, 1))

    def error(self, key: PathKey, code: str, message: str, suggestion: str | None = None) -> RuleError:
        """A RuleError at the value `key`."""
        line, column = self.pos(key)
        return RuleError(self.path, line, column, code, message, suggestion)

    def expression_origin(self, key: PathKey) -> tuple[int, int, int]:
        """Line, column of an expression string's first character, and the quote offset."""
        line, column = self.pos(key)
        style = self.scalar_styles.get(key)
        return line, column + (1 if style in ("'", '"') else 0), 0


def load(path: Path, display: str | None = None) -> Located:
    """Load one YAML file; syntax errors and duplicate keys land in `errors`, never raise."""
    name = display or str(path)
    doc = Located(name, None)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc.errors.append(RuleError(name, 1, 1, "io", f"cannot read the file: {exc}"))
        return doc
    return loads(text, name)


def loads(text: str, name: str) -> Located:
    """Load YAML text with positions (see `load`)."""
    doc = Located(name, None)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        doc.errors.append(RuleError(name, line, column, "yaml-syntax", f"YAML syntax: {exc.problem}"))
        return doc
    except yaml.YAMLError as exc:
        doc.errors.append(RuleError(name, 1, 1, "yaml-syntax", f"YAML syntax: {exc}"))
        return doc
    try:
        doc.data = None if node is None else _walk(node, (), doc, loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        doc.errors.append(RuleError(name, line, column, "yaml-value", f"YAML value: {exc}"))
    finally:
        loader.dispose()
    return doc


def _walk(node: yaml.Node, key: PathKey, doc: Located, loader: yaml.SafeLoader) -> Any:
    doc.positions[key] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                doc.errors.append(
                    RuleError(
                        doc.path,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        "yaml-key",
                        "mapping keys must be plain scalars",
                    )
                )
                continue
            k = loader.construct_object(key_node)
            if isinstance(k, dt.date):
                k = k.isoformat()
            if k in out:
                doc.errors.append(
                    RuleError(
                        doc.path,
                        key_node.start_mark.line + 1,
                        key_node.start_mark.column + 1,
                        "duplicate-key",
                        f"duplicate key '{k}'",
                    )
                )
                continue
            out[k] = _walk(value_node, (*key, k), doc, loader)
            # Keys are located too, so "unknown key" errors point at the key itself.
            doc.key_positions[(key, str(k))] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(item, (*key, i), doc, loader) for i, item in enumerate(node.value)]
    doc.scalar_styles[key] = node.style  # type: ignore[attr-defined]
    return loader.construct_object(node)


def key_pos(doc: Located, parent: PathKey, name: str) -> tuple[int, int]:
    """Position of a mapping key (for unknown-key errors)."""
    return doc.key_positions.get((parent, name), doc.pos(parent))


def unknown_keys(doc: Located, key: PathKey, body: dict[str, Any], allowed: set[str], what: str) -> list[RuleError]:
    """An error for each key of `body` not in `allowed`, at the key itself, with a suggestion.

    A key that names a prohibited attribute (ethnicity, nationality, religion, party, language)
    is reported as such rather than as a typo.
    """
    errors: list[RuleError] = []
    for k in body:
        if k in allowed:
            continue
        line, col = key_pos(doc, key, str(k))
        if any(w in str(k).lower() for w in expr.FORBIDDEN_WORDS):
            errors.append(
                RuleError(
                    doc.path,
                    line,
                    col,
                    "prohibited-attribute",
                    f"'{k}' names an attribute that must never decide eligibility",
                )
            )
        else:
            errors.append(
                RuleError(
                    doc.path,
                    line,
                    col,
                    "unknown-key",
                    f"unknown key '{k}' in {what}",
                    expr.suggest(str(k), sorted(allowed)),
                )
            )
    return errors
