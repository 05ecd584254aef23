"""YAML reading that remembers where each value came from, so errors can name the line.

``yaml.safe_load`` loses positions; composing the node graph with the safe loader keeps them.
Both use ``SafeLoader``: no Python objects can be constructed from an analysis file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hepreint.errors import SpecError

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class LocatedYAML:
    path: Path
    data: Any
    lines: dict[PathKey, int]

    def line_of(self, key: PathKey) -> int | None:
        """Line of ``key``, or of its nearest ancestor that has one."""
        while True:
            if key in self.lines:
                return self.lines[key]
            if not key:
                return None
            key = key[:-1]

    def where(self, key: PathKey) -> str:
        """``file:line: at a.b[2].c`` — the prefix of every spec error message."""
        line = self.line_of(key)
        loc = f"{self.path}:{line}" if line else f"{self.path}"
        return f"{loc}: at {format_path(key)}"


def format_path(key: PathKey) -> str:
    out = ""
    for k in key:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out or "(top level)"


def _walk(node: yaml.Node, key: PathKey, lines: dict[PathKey, int]) -> None:
    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            name = k.value
            lines[key + (name,)] = k.start_mark.line + 1
            _walk(v, key + (name,), lines)
            lines[key + (name,)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, key + (i,), lines)


def load_yaml(path: str | Path) -> LocatedYAML:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"{p}: file not found; check the path") from None
    except UnicodeDecodeError as exc:
        raise SpecError(f"{p}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SpecError(
            f"{p}{line}: invalid YAML: {exc.problem}; fix the indentation/quoting on that line"
        ) from None
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYAML(p, data, lines)
