"""YAML reading that remembers where each value came from, so errors can name the line.

``yaml.safe_load`` loses positions, so the file is composed into a node graph (which keeps them)
and the data is constructed from that graph by PyYAML's ``SafeConstructor``: no Python objects can
be built from an analysis file. The composer is our own, driven by the libyaml event stream,
because PyYAML's composer has no limits: it nests recursively, lets aliases multiply a 1 kB file
into gigabytes ("billion laughs") and lets a repeated key silently replace the first one. Here,
before anything is built, we refuse:

* files over :data:`MAX_BYTES` (analysis files are ~10 kB; the limit leaves room for large
  HEPData tables that share this loader);
* nesting deeper than :data:`MAX_DEPTH` (an analysis nests ~7 levels);
* aliases that together add more than :data:`MAX_ALIAS_NODES` nodes once expanded, or that refer
  to the node they sit in (a recursive structure);
* duplicate keys in any mapping (both lines are named), and merge keys (``<<``), whose whole point
  is that a later key overrides an earlier one without a word;
* more than one document in a file, and integers too long to convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from hepreint.errors import SpecError

PathKey = tuple[str | int, ...]

#: largest file read at all (bytes)
MAX_BYTES = 8 * 1024 * 1024
#: deepest nesting of mappings/sequences
MAX_DEPTH = 64
#: nodes that aliases may add to the document once expanded (aliases are for repeating a small
#: block a few times, not for generating data)
MAX_ALIAS_NODES = 100_000
#: digits of an integer scalar (Python refuses to convert more than 4300)
MAX_INT_DIGITS = 400

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INT_TAG = "tag:yaml.org,2002:int"
_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


@dataclass
class _Frame:
    """A mapping or sequence being composed, with where it sits."""

    node: yaml.MappingNode | yaml.SequenceNode
    path: PathKey
    key: yaml.Node | None = None  # mapping: the key waiting for its value
    size: int = 1  # expanded node count so far


class _Composer:
    """Builds the node graph from events without recursion, enforcing the limits above."""

    def __init__(self, path: Path, loader: Any) -> None:
        self.path = path
        self.loader = loader
        self.anchors: dict[str, yaml.Node] = {}
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()
        self.alias_nodes = 0

    def fail(self, mark: Any, msg: str) -> SpecError:
        line = f":{mark.line + 1}" if mark is not None else ""
        return SpecError(f"{self.path}{line}: {msg}")

    def compose(self) -> yaml.Node | None:
        ld = self.loader
        ld.get_event()  # stream start
        if ld.check_event(yaml.StreamEndEvent):
            return None
        ld.get_event()  # document start
        root = self._node()
        ld.get_event()  # document end
        if not ld.check_event(yaml.StreamEndEvent):
            mark = ld.peek_event().start_mark
            raise self.fail(mark, "more than one YAML document ('---'); keep only one")
        return root

    def _child_path(self, frame: _Frame) -> PathKey:
        if isinstance(frame.node, yaml.SequenceNode):
            return frame.path + (len(frame.node.value),)
        if frame.key is None:
            return frame.path
        return frame.path + (str(frame.key.value),)

    def _node(self) -> yaml.Node:
        ld = self.loader
        stack: list[_Frame] = []
        while True:
            event = ld.get_event()
            path = self._child_path(stack[-1]) if stack else ()
            node: yaml.Node | None = None
            size = 1
            if isinstance(event, yaml.AliasEvent):
                node = self._alias(event, path)
                size = self.sizes[id(node)]
            elif isinstance(event, yaml.ScalarEvent):
                tag = event.tag
                if tag is None or tag == "!":
                    tag = ld.resolve(yaml.ScalarNode, event.value, event.implicit)
                if tag == _INT_TAG and len(event.value) > MAX_INT_DIGITS:
                    raise self.fail(
                        event.start_mark,
                        f"at {format_path(path)}: integer with {len(event.value)} digits; "
                        "write a realistic number",
                    )
                start: Any = event.start_mark
                end: Any = event.end_mark
                node = yaml.ScalarNode(tag, event.value, start, end, style=event.style)
                self._anchor(event, node)
            elif isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(
                        event.start_mark,
                        f"at {format_path(path[:6])}...: nested more than {MAX_DEPTH} levels deep; "
                        "flatten the structure",
                    )
                is_seq = isinstance(event, yaml.SequenceStartEvent)
                kind = yaml.SequenceNode if is_seq else yaml.MappingNode
                tag = event.tag
                if tag is None or tag == "!":
                    tag = ld.resolve(kind, None, event.implicit)
                first: Any = event.start_mark
                coll = kind(tag, [], first, None, flow_style=event.flow_style)
                self._anchor(event, coll)
                self.open.add(id(coll))
                stack.append(_Frame(coll, path))
                continue
            else:  # sequence or mapping end
                frame = stack.pop()
                node = frame.node
                node.end_mark = event.end_mark
                self.open.discard(id(node))
                if isinstance(node, yaml.MappingNode):
                    self._check_keys(node, frame.path)
                size = frame.size
                self.sizes[id(node)] = size
            if not stack:
                return node
            self._add(stack[-1], node, size)

    def _anchor(self, event: Any, node: yaml.Node) -> None:
        if event.anchor is not None:
            self.anchors[event.anchor] = node
            self.sizes.setdefault(id(node), 1)

    def _alias(self, event: Any, path: PathKey) -> yaml.Node:
        node = self.anchors.get(event.anchor)
        where = f"at {format_path(path)}: alias *{event.anchor}"
        if node is None:
            raise self.fail(event.start_mark, f"{where} has no anchor &{event.anchor} before it")
        if id(node) in self.open:
            raise self.fail(
                event.start_mark,
                f"{where} refers to a block that contains it (a recursive structure); remove it",
            )
        self.alias_nodes += self.sizes[id(node)]
        if self.alias_nodes > MAX_ALIAS_NODES:
            raise self.fail(
                event.start_mark,
                f"{where}: aliases expand the document by more than {MAX_ALIAS_NODES} nodes "
                "(an alias bomb?); write the repeated blocks out or use fewer aliases",
            )
        return node

    @staticmethod
    def _add(frame: _Frame, node: yaml.Node, size: int) -> None:
        frame.size += size
        parent = frame.node
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif frame.key is None:
            frame.key = node
        else:
            parent.value.append((frame.key, node))
            frame.key = None

    def _check_keys(self, node: yaml.MappingNode, path: PathKey) -> None:
        seen: dict[tuple[str, str], int] = {}
        for k, _ in node.value:
            if k.tag == _MERGE_TAG:
                raise self.fail(
                    k.start_mark,
                    f"at {format_path(path)}: merge keys ('<<') are not supported (they let a "
                    "later key override an earlier one silently); write the keys out",
                )
            if not isinstance(k, yaml.ScalarNode):
                continue
            line = k.start_mark.line + 1
            first = seen.get((k.tag, k.value))
            if first is not None:
                raise self.fail(
                    k.start_mark,
                    f"at {format_path(path + (k.value,))}: duplicate key {k.value!r} "
                    f"(lines {first} and {line}); a key may appear once per mapping: "
                    "remove or rename one",
                )
            seen[(k.tag, k.value)] = line


def _walk(node: yaml.Node, key: PathKey, lines: dict[PathKey, int]) -> None:
    lines[key] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark.line)
            _walk(v, key + (name,), lines)
            lines[key + (name,)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, key + (i,), lines)


def _read_text(p: Path) -> str:
    try:
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise SpecError(
                f"{p}: {size} bytes, more than the {MAX_BYTES} a YAML file may have; "
                "is this the right file?"
            )
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{p}: file not found; check the path") from None
    except IsADirectoryError:
        raise SpecError(f"{p}: is a directory, expected a YAML file; check the path") from None
    except OSError as exc:
        raise SpecError(f"{p}: cannot be read ({exc.strerror}); check its permissions") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError(
            f"{p}:{line}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from None


def _yaml_error(p: Path, text: str, exc: yaml.YAMLError) -> SpecError:
    mark = getattr(exc, "problem_mark", None)
    if mark is None:  # a ReaderError (control characters) has a position but no mark
        pos = getattr(exc, "position", None)
        where = f":{text.count(chr(10), 0, pos) + 1}" if isinstance(pos, int) else ""
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        return SpecError(f"{p}{where}: invalid YAML: {reason}; remove that character")
    problem = getattr(exc, "problem", None) or "cannot be read"
    lines = text.splitlines()
    bad = lines[mark.line] if mark.line < len(lines) else ""
    if isinstance(exc, yaml.constructor.ConstructorError):
        fix = "write plain YAML values (no '!!' tags, hashable keys)"
    elif "\t" in bad:
        fix = "indent with spaces, not tabs"
    else:
        fix = "fix the indentation/quoting on that line"
    return SpecError(f"{p}:{mark.line + 1}: invalid YAML: {problem}; {fix}")


def load_yaml(path: str | Path) -> LocatedYAML:
    """Read one YAML document with its line numbers, within the limits of the module docstring."""
    p = Path(path)
    text = _read_text(p)
    loader = _Loader(text)
    try:
        node = _Composer(p, loader).compose()
        data = None if node is None else loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _yaml_error(p, text, exc) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date 2024-13-45
        raise SpecError(f"{p}: a value cannot be read ({exc}); quote it or correct it") from None
    finally:
        loader.dispose()
    lines: dict[PathKey, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return LocatedYAML(p, data, lines)
