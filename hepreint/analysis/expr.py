"""Cut and variable expressions: parsed with ``ast``, checked against a whitelist, compiled once.

Nothing here calls ``eval``: an expression becomes a tree of small closures that apply numpy /
awkward operations to whole batches. Anything outside the whitelist (attribute access to
non-physics fields, dunder names, lambdas, comprehensions, imports, keyword tricks) is refused at
load time with the offending piece and, for unknown names, a did-you-mean.
"""

from __future__ import annotations

import ast
import difflib
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import awkward as ak
import numpy as np

from hepreint.analysis.functions import CONSTANTS, FUNCTIONS

#: Object attributes an expression may read: vector kinematics plus the fields hepreint's
#: object builders attach. Anything else (``layout``, ``__class__``...) is refused.
ATTRIBUTES: frozenset[str] = frozenset(
    {
        "pt", "eta", "phi", "mass", "m", "E", "energy", "px", "py", "pz", "p", "rapidity",
        "mt", "et", "charge", "pid", "flavour", "n_constituents", "n_subjets", "n_b", "n_c",
        "n_b_hadrons", "iso", "abseta",
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


def _known(x: Any) -> Any:
    """True where x has a value (not an absent object)."""
    return ~ak.is_none(x, axis=-1) if isinstance(x, ak.Array) else True


def _and(a: Any, b: Any) -> Any:
    """Three-valued (Kleene) and: an absent object gives None unless the other side is False.

    Cuts treat None as failed at the very end, so ``not (jets[3].pt > 30)`` fails for a
    three-jet event instead of passing, exactly like ``jets[3].pt <= 30``.
    """
    if not (isinstance(a, ak.Array) or isinstance(b, ak.Array)):
        return a & b
    value = _fill(a, False) & _fill(b, False)
    known = (_known(a) & _known(b)) | ~_fill(a, True) | ~_fill(b, True)
    return ak.mask(value, known)


def _or(a: Any, b: Any) -> Any:
    if not (isinstance(a, ak.Array) or isinstance(b, ak.Array)):
        return a | b
    value = _fill(a, False) | _fill(b, False)
    known = (_known(a) & _known(b)) | value
    return ak.mask(value, known)


def _fill(x: Any, v: bool) -> Any:
    return ak.fill_none(x, v, axis=-1) if isinstance(x, ak.Array) else x


def compile_expression(
    source: str | int | float | bool,
    known: set[str] | frozenset[str],
    *,
    object_scope: bool = False,
) -> Compiled:
    """Compile ``source`` where ``known`` are the global names it may use.

    With ``object_scope`` (a collection's ``where:``), bare attribute names (``pt``, ``eta``,
    ``flavour``) refer to the object being selected.
    """
    if isinstance(source, bool | int | float):
        value = source
        return Compiled(str(source), lambda scope: value)
    text = str(source).strip()
    if not text:
        raise ExpressionError("empty expression")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"syntax error at column {exc.offset}: {exc.msg}") from None
    used: set[str] = set()
    fn = _Compiler(known, object_scope, used).visit(tree.body)
    return Compiled(text, fn, frozenset(used))


@dataclass
class _Compiler:
    known: set[str] | frozenset[str]
    object_scope: bool
    used: set[str]

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
            return lambda scope: value
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
        op = _BINOPS.get(type(node.op))
        if op is None:
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed")
        left, right = self.visit(node.left), self.visit(node.right)
        return lambda scope: op(left(scope), right(scope))

    def _UnaryOp(self, node: ast.UnaryOp) -> Evaluator:
        operand = self.visit(node.operand)
        if isinstance(node.op, ast.USub):
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


def _not(x: Any) -> Any:
    if isinstance(x, ak.Array | np.ndarray):
        return ~x  # None stays None: not(absent) is still absent
    return not x
