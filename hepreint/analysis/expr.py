"""Cut and variable expressions: parsed with ``ast``, checked against a whitelist, compiled once.

Nothing here calls ``eval``: an expression becomes a tree of small closures that apply numpy /
awkward operations to whole batches. Anything outside the whitelist (attribute access to
non-physics fields, dunder names, lambdas, comprehensions, imports, keyword tricks) is refused at
load time with the offending piece and, for unknown names, a did-you-mean.
"""

from __future__ import annotations

import ast
import difflib
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import awkward as ak

from hepreint.analysis.functions import CONSTANTS, FUNCTIONS
from hepreint.analysis.logic import and_ as _and
from hepreint.analysis.logic import not_ as _not
from hepreint.analysis.logic import or_ as _or

#: Object attributes an expression may read: vector kinematics plus the fields hepreint's
#: object builders attach. Anything else (``layout``, ``__class__``...) is refused.
ATTRIBUTES: frozenset[str] = frozenset(
    {
        "pt", "eta", "phi", "mass", "m", "E", "energy", "px", "py", "pz", "p", "rapidity",
        "mt", "et", "charge", "pid", "flavour", "n_constituents", "n_subjets", "n_b", "n_c",
        "n_b_hadrons", "iso", "abseta", "tag_bin", "tau_tag",
        # flavour tags at the detector card's working points (hepreint.detector.response)
        "btag60", "btag70", "btag77", "btag85", "xbb50", "xbb60", "xbb70",
        "btageff60", "btageff70", "btageff77", "btageff85", "xbbeff50", "xbbeff60", "xbbeff70",
        # generator truth: the tt+jets heavy-flavour class (hepreint.objects.heavy_flavour)
        "hf_class", "n_add_b", "n_add_c",
    }
)  # fmt: skip

_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_CMPOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}

Evaluator = Callable[["Scope"], Any]

#: deepest nesting an expression may have. Left-deep chains (``a + b - c + ...``, the way
#: Python parses a long sum) count as one level however long they are, so this only refuses
#: real nesting (brackets in brackets, ``- - - x``), which the compiler and the evaluator
#: handle recursively, a few stack frames per level under Python's limit of 1000.
MAX_NESTING = 100
#: longest expression text (characters): the longest shipped one has ~100
MAX_LENGTH = 100_000
#: largest integer constant; beyond it numpy overflows at run time
MAX_INT = 2**63 - 1


class ExpressionError(ValueError):
    """An expression outside the whitelist; the spec loader adds file, YAML path and line."""


@dataclass
class Scope:
    """What names mean while evaluating: values for globals, and an object for ``where`` clauses."""

    values: Mapping[str, Any]
    obj: Any = None


@dataclass(frozen=True)
class Compiled:
    source: str
    fn: Evaluator
    names: frozenset[str] = field(default_factory=frozenset)
    #: where it was written (``analysis.yaml:88: at cuts.ge3_b``), for errors found at run time
    where: str = ""

    def describe(self) -> str:
        return f"{self.where}: {self.source!r}" if self.where else repr(self.source)

    def __call__(self, scope: Scope) -> Any:
        return self.fn(scope)


def _suggest(name: str, known: set[str] | frozenset[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def compile_expression(
    source: str | int | float | bool,
    known: set[str] | frozenset[str],
    *,
    object_scope: bool = False,
    records: Mapping[str, frozenset[str]] | None = None,
) -> Compiled:
    """Compile ``source`` where ``known`` are the global names it may use.

    With ``object_scope`` (a collection's ``where:``), bare attribute names (``pt``, ``eta``,
    ``flavour``) refer to the object being selected. ``records`` are global names whose own
    fields may be read (a network's outputs: ``ttH_class.ttH``).
    """
    if isinstance(source, bool | int | float):
        value = _number(source)
        return Compiled(str(source), lambda scope: value)
    text = str(source).strip()
    if not text:
        raise ExpressionError("empty expression")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"{len(text)} characters, more than {MAX_LENGTH}; split it into variables"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        col = f" at column {exc.offset}" if exc.offset else ""
        raise ExpressionError(f"syntax error{col}: {exc.msg}") from None
    except (RecursionError, MemoryError):  # Python's parser: ~3000-term chains, deep nesting
        raise ExpressionError(
            "too long or nested too deeply for Python's parser; split it into variables"
        ) from None
    except ValueError as exc:  # null bytes, integer literals of thousands of digits
        raise ExpressionError(f"cannot be parsed ({exc})") from None
    depth = _nesting(tree.body)
    if depth > MAX_NESTING:
        raise ExpressionError(f"nested more than {MAX_NESTING} levels; split it into variables")
    used: set[str] = set()
    fn = _Compiler(known, object_scope, used, dict(records or {})).visit(tree.body)
    return Compiled(text, fn, frozenset(used))


def _number(value: bool | int | float) -> bool | int | float:
    """A literal number, refused if a float64 cannot hold it (``1e999`` is inf, ``.nan``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) > MAX_INT:
        raise ExpressionError(f"integer {str(value)[:20]}... is too large; write it as 1e20")
    if not math.isfinite(value):
        raise ExpressionError(f"number {value!r} is not finite; write a finite number")
    return value


def _chain(node: ast.BinOp) -> tuple[ast.expr, list[tuple[ast.operator, ast.expr]]]:
    """``a + b * c - d`` parsed left-deep as ``((a + (b*c)) - d)`` -> ``a, [(+, b*c), (-, d)]``."""
    rest: list[tuple[ast.operator, ast.expr]] = []
    cur: ast.expr = node
    while isinstance(cur, ast.BinOp):
        rest.append((cur.op, cur.right))
        cur = cur.left
    rest.reverse()
    return cur, rest


def _nesting(root: ast.AST) -> int:
    """Nesting depth of ``root``, without recursion; a left-deep operator chain is one level."""
    deepest = 0
    stack: list[tuple[ast.AST, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            break
        if isinstance(node, ast.BinOp):
            base, rest = _chain(node)
            stack.append((base, depth + 1))
            stack.extend((right, depth + 1) for _, right in rest)
        else:
            stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


class _Const:
    """An evaluator of a constant, so that constant arithmetic is folded (and checked) once."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, scope: Scope) -> Any:
        return self.value


def _fold(op: Callable[[Any, Any], Any], a: Any, b: Any) -> _Const:
    """``op(a, b)`` on constants, refusing what would hang (``9**9**9``) or not be a number."""
    try:
        if op is operator.pow and isinstance(a, int) and isinstance(b, int) and b > 0:
            math.pow(float(a), float(b))  # OverflowError first, before an exact huge int
        value = op(a, b)
    except (ZeroDivisionError, OverflowError) as exc:
        raise ExpressionError(f"constant arithmetic {a!r} and {b!r} fails: {exc}") from None
    if not isinstance(value, int | float):
        raise ExpressionError(f"constant arithmetic on {a!r} and {b!r} gives {value!r}")
    return _Const(_number(value))


@dataclass
class _Compiler:
    known: set[str] | frozenset[str]
    object_scope: bool
    used: set[str]
    records: dict[str, frozenset[str]] = field(default_factory=dict)

    def visit(self, node: ast.AST) -> Evaluator:
        method = getattr(self, f"_{type(node).__name__}", None)
        if method is None:
            raise ExpressionError(
                f"{type(node).__name__} is not allowed in expressions "
                f"(allowed: arithmetic, comparisons, and/or/not, calls to "
                f"{', '.join(sorted(FUNCTIONS))}, indexing, object attributes)"
            )
        result: Evaluator = method(node)
        return result

    def _Constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if isinstance(value, bool) or isinstance(value, int | float):
            return _Const(_number(value))
        raise ExpressionError(f"constant {value!r} is not allowed here (numbers only)")

    def _Name(self, node: ast.Name) -> Evaluator:
        name = node.id
        if name.startswith("_"):
            raise ExpressionError(f"name {name!r} is not allowed")
        if name in ("True", "False"):
            flag = name == "True"
            return lambda scope: flag
        if self.object_scope and name in ATTRIBUTES:
            return lambda scope: getattr(scope.obj, name)
        if name in CONSTANTS:
            const = CONSTANTS[name]
            return lambda scope: const
        if name not in self.known:
            pool = set(self.known) | set(CONSTANTS)
            if self.object_scope:
                pool |= ATTRIBUTES
            if name in FUNCTIONS:
                raise ExpressionError(f"{name!r} is a function; call it as {name}(...)")
            raise ExpressionError(f"unknown name {name!r}{_suggest(name, pool)}")
        self.used.add(name)
        return lambda scope: scope.values[name]

    def _Attribute(self, node: ast.Attribute) -> Evaluator:
        attr = node.attr
        base = node.value.id if isinstance(node.value, ast.Name) else None
        if base is not None and base in self.records:
            if attr not in self.records[base]:
                fields = self.records[base]
                raise ExpressionError(
                    f"{base} has no output {attr!r}{_suggest(attr, fields)} "
                    f"(it has: {', '.join(sorted(fields))})"
                )
            whole = self.visit(node.value)
            return lambda scope: getattr(whole(scope), attr)
        if attr not in ATTRIBUTES:
            raise ExpressionError(
                f"attribute {attr!r} is not allowed{_suggest(attr, ATTRIBUTES)} "
                f"(allowed: {', '.join(sorted(ATTRIBUTES))})"
            )
        inner = self.visit(node.value)
        if attr == "abseta":
            return lambda scope: abs(inner(scope).eta)
        return lambda scope: getattr(inner(scope), attr)

    def _Subscript(self, node: ast.Subscript) -> Evaluator:
        inner = self.visit(node.value)
        idx = node.slice
        if isinstance(idx, ast.Constant) and type(idx.value) is int and idx.value >= 0:
            n = idx.value
            return lambda scope: ak.pad_none(inner(scope), n + 1, axis=1)[:, n]
        if isinstance(idx, ast.Slice) and idx.step is None:
            lo = self._int_or_none(idx.lower)
            hi = self._int_or_none(idx.upper)
            return lambda scope: inner(scope)[:, lo:hi]
        raise ExpressionError(
            "indexing takes a non-negative integer (jets[0]) or a slice (jets[:4])"
        )

    @staticmethod
    def _int_or_none(node: ast.expr | None) -> int | None:
        if node is None:
            return None
        if isinstance(node, ast.Constant) and type(node.value) is int and node.value >= 0:
            return node.value
        raise ExpressionError("slice bounds must be non-negative integers")

    def _BinOp(self, node: ast.BinOp) -> Evaluator:
        """A whole left-deep chain at once, evaluated in a loop (a 1000-term sum is fine)."""
        base, rest = _chain(node)
        first = self.visit(base)
        steps: list[tuple[Callable[[Any, Any], Any], Evaluator]] = []
        for op_node, right_node in rest:
            op = _BINOPS.get(type(op_node))
            if op is None:
                raise ExpressionError(f"operator {type(op_node).__name__} is not allowed")
            right = self.visit(right_node)
            if not steps and isinstance(first, _Const) and isinstance(right, _Const):
                first = _fold(op, first.value, right.value)
            else:
                steps.append((op, right))
        if not steps:
            return first

        def run(scope: Scope) -> Any:
            out = first(scope)
            for op, right in steps:
                out = op(out, right(scope))
            return out

        return run

    def _UnaryOp(self, node: ast.UnaryOp) -> Evaluator:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.USub):
            if isinstance(operand, _Const) and not isinstance(operand.value, bool):
                return _Const(-operand.value)
            return lambda scope: -operand(scope)
        if isinstance(node.op, ast.UAdd):
            return operand
        if isinstance(node.op, ast.Not):
            return lambda scope: _not(operand(scope))
        raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")

    def _BoolOp(self, node: ast.BoolOp) -> Evaluator:
        parts = [self.visit(v) for v in node.values]
        is_and = isinstance(node.op, ast.And)

        def run(scope: Scope) -> Any:
            out = parts[0](scope)
            for p in parts[1:]:
                out = _and(out, p(scope)) if is_and else _or(out, p(scope))
            return out

        return run

    def _Compare(self, node: ast.Compare) -> Evaluator:
        ops = []
        for op in node.ops:
            fn = _CMPOPS.get(type(op))
            if fn is None:
                raise ExpressionError(f"comparison {type(op).__name__} is not allowed")
            ops.append(fn)
        terms = [self.visit(node.left)] + [self.visit(c) for c in node.comparators]

        def run(scope: Scope) -> Any:
            vals = [t(scope) for t in terms]
            out = ops[0](vals[0], vals[1])
            for k in range(1, len(ops)):
                out = _and(out, ops[k](vals[k], vals[k + 1]))
            return out

        return run

    def _Call(self, node: ast.Call) -> Evaluator:
        if not isinstance(node.func, ast.Name):
            raise ExpressionError("only the listed functions may be called, by name")
        name = node.func.id
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise ExpressionError(
                f"unknown function {name!r}{_suggest(name, set(FUNCTIONS))} "
                f"(known: {', '.join(sorted(FUNCTIONS))})"
            )
        if node.keywords:
            raise ExpressionError(f"{name}() takes no keyword arguments")
        nargs = len(node.args)
        if nargs < spec.min_args or (spec.max_args is not None and nargs > spec.max_args):
            want = (
                f"{spec.min_args}" if spec.max_args == spec.min_args
                else f"at least {spec.min_args}" if spec.max_args is None
                else f"{spec.min_args}-{spec.max_args}"
            )  # fmt: skip
            raise ExpressionError(f"{name}() takes {want} arguments, got {nargs}")
        args: list[Evaluator] = []
        for i, a in enumerate(node.args):
            if i in spec.string_args:
                if not (isinstance(a, ast.Constant) and isinstance(a.value, str)):
                    raise ExpressionError(f"argument {i + 1} of {name}() must be a quoted name")
                args.append(_literal(a.value))
            else:
                args.append(self.visit(a))
        impl = spec.impl
        return lambda scope: impl(*(a(scope) for a in args))


def _literal(value: str) -> Evaluator:
    return lambda scope: value
