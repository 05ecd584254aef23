"""The one reader of HEPData tables: files downloaded from hepdata.net, and our own export.

Used by ``hepreint validate`` (published cut-flows in ``analyses/<Name>/reference/``) and by
whoever reads back a ``hepreint export --format hepdata`` submission; the writer is in
``hepreint/export/hepdata.py``.

Published tables are less regular than ours: values may be strings (``'-'``, ``'>300'``),
errors may be absent, relative (``'5%'``) or asymmetric, bins may have ``low``/``high`` with or
without a ``value``, qualifiers may repeat, and data files may be JSON (read as YAML). The
structure is checked first, and a problem is reported in one line with the file, line and YAML
path (``Table 3.yaml:12: at dependent_variables[0].values[2]: ...``).

Numbers: a numeric value or numeric string becomes a float, any other string stays text (``'-'``
too). An error keeps its sign as written (:class:`Uncertainty`); ``'5%'`` is 5 % of ``|value|``
(NaN when the value is not a number). Asymmetric errors: the positive side is "up", the negative
side "down", whichever of ``plus``/``minus`` it is written under.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema.exceptions import best_match

from hepreint.analysis.yamlfile import LocatedYAML, PathKey, format_path, load_yaml
from hepreint.errors import HepreintError

Where = Callable[[PathKey], str]  # YAML path -> "file:line: at path" for error messages

_NUM = {"type": ["number", "string"]}
_ERROR = {
    "type": "object",
    "properties": {
        "symerror": _NUM,
        "asymerror": {
            "type": "object",
            "required": ["plus", "minus"],
            "properties": {"plus": _NUM, "minus": _NUM},
        },
        "label": {"type": "string"},
    },
    "oneOf": [{"required": ["symerror"]}, {"required": ["asymerror"]}],
}
_HEADER = {
    "type": "object",
    "required": ["name"],
    "properties": {"name": {"type": "string"}, "units": {"type": ["string", "null"]}},
}
_VARIABLE = {
    "type": "object",
    "required": ["header", "values"],
    "properties": {
        "header": _HEADER,
        "qualifiers": {
            "type": "array",
            "items": {"type": "object", "required": ["name", "value"]},
        },
        "values": {
            "type": "array",
            "items": {
                "type": "object",
                "anyOf": [{"required": ["value"]}, {"required": ["low", "high"]}],
                "properties": {"errors": {"type": "array", "items": _ERROR}},
            },
        },
    },
}
#: the structure a HEPData data file must have (hepdata.net's own files always do)
SCHEMA = {
    "type": "object",
    "required": ["independent_variables", "dependent_variables"],
    "properties": {
        "independent_variables": {"type": "array", "items": _VARIABLE},
        "dependent_variables": {"type": "array", "minItems": 1, "items": _VARIABLE},
    },
}
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


@dataclass(frozen=True)
class Uncertainty:
    """One error source of one value; ``minus``/``plus`` as in the file (minus usually < 0)."""

    label: str
    minus: float
    plus: float
    symmetric: bool

    def up_down(self) -> tuple[float, float]:
        """(up, down) magnitudes: the positive side is up; ``{plus: a, minus: b}`` with one sign
        (a sloppy table) is read as magnitudes, ``|a|`` up and ``|b|`` down."""
        if self.plus * self.minus < 0:  # the usual {plus: +a, minus: -b}, or inverted {-a, +b}
            return max(self.plus, self.minus), -min(self.plus, self.minus)
        return abs(self.plus), abs(self.minus)


@dataclass(frozen=True)
class Cell:
    """One entry of a variable: a number or label (``value``), a bin (``low``/``high``), or both."""

    value: float | str | None = None  # None only when the file gives none (a bin without value)
    low: float | None = None
    high: float | None = None
    errors: tuple[Uncertainty, ...] = ()

    @property
    def up(self) -> float:
        """Absolute upward error, every source added in quadrature (0 when none is given)."""
        return _quadrature(e.up_down()[0] for e in self.errors)

    @property
    def down(self) -> float:
        """Absolute downward error (a magnitude), every source added in quadrature."""
        return _quadrature(e.up_down()[1] for e in self.errors)

    def matches(self, key: float | str) -> bool:
        """A row key: equal number or label, or a number inside [low, high)."""
        if isinstance(key, str) and isinstance(self.value, str):
            return self.value.strip() == key.strip()
        num = _float(key)
        if num is None:
            return False
        if isinstance(self.value, float) and math.isclose(self.value, num, rel_tol=1e-9):
            return True
        return self.low is not None and self.high is not None and self.low <= num < self.high

    def label(self) -> str:
        """How the row is named: its value, or ``low-high`` for a bin without one."""
        if self.value is None and self.low is not None and self.high is not None:
            return f"{self.low:g}-{self.high:g}"
        if isinstance(self.value, float):
            return f"{self.value:g}"
        return "" if self.value is None else self.value


#: an independent-variable entry (the name the export API has always used)
XValue = Cell


@dataclass(frozen=True)
class Qualifier:
    name: str
    value: str
    units: str = ""


@dataclass(frozen=True)
class Variable:
    """One independent or dependent variable, row by row."""

    name: str
    units: str
    qualifiers: list[Qualifier]
    values: list[Cell]

    def qualifier(self, name: str) -> str | None:
        """The first qualifier of that name (case-insensitive)."""
        for q in self.qualifiers:
            if q.name.upper() == name.upper():
                return q.value
        return None

    def names(self) -> list[str]:
        """What a mapping may call this column: its header name or any qualifier value (of a
        repeated qualifier, the last)."""
        return [self.name, *{q.name: q.value for q in self.qualifiers}.values()]


@dataclass(frozen=True)
class Column:
    """A dependent variable column by column: the values as read and each value's errors."""

    variable: Variable

    @property
    def header(self) -> str:
        return self.variable.name

    @property
    def units(self) -> str:
        return self.variable.units

    @property
    def qualifiers(self) -> list[Qualifier]:
        return self.variable.qualifiers

    @property
    def values(self) -> list[float | str | None]:
        return [c.value for c in self.variable.values]

    @property
    def errors(self) -> list[list[Uncertainty]]:
        return [list(c.errors) for c in self.variable.values]

    def qualifier(self, name: str) -> str | None:
        return self.variable.qualifier(name)

    def total_errors(self) -> list[tuple[float, float]]:
        """(down, up) magnitudes per value, every source added in quadrature; each source is
        read as :meth:`Uncertainty.up_down` reads it (one convention for the whole package)."""
        out = []
        for errs in self.errors:
            pairs = [e.up_down() for e in errs]
            down = math.sqrt(sum(d * d for _, d in pairs))
            up = math.sqrt(sum(u * u for u, _ in pairs))
            out.append((down, up))
        return out


@dataclass(frozen=True)
class HEPDataTable:
    name: str
    independent: list[Variable]
    dependent: list[Variable]

    @property
    def x_header(self) -> str:
        return self.independent[0].name if self.independent else ""

    @property
    def x_units(self) -> str:
        return self.independent[0].units if self.independent else ""

    @property
    def x_values(self) -> list[Cell]:
        return self.independent[0].values if self.independent else []

    @property
    def columns(self) -> list[Column]:
        return [Column(v) for v in self.dependent]

    def column(self, header: str) -> Column:
        for c in self.columns:
            if c.header == header:
                return c
        raise KeyError(
            f"{self.name}: no column {header!r}; have {[c.header for c in self.columns]}"
        )


def is_hepdata(data: Any) -> bool:
    return isinstance(data, dict) and "dependent_variables" in data


def parse_table(data: Any, name: str = "", located: LocatedYAML | None = None) -> HEPDataTable:
    """A HEPData data-file dict as a :class:`HEPDataTable`, its structure checked first.

    ``located`` (the file ``data`` was loaded from) puts the file and line into error messages;
    without it they name the table and the YAML path.
    """

    def where(key: PathKey) -> str:
        if located is not None:
            return located.where(key)
        return f"{name or 'HEPData table'}: at {format_path(key)}"

    if not is_hepdata(data):
        at = str(located.path) if located is not None else name or "HEPData table"
        raise HepreintError(f"{at}: no dependent_variables; not a HEPData table")
    err = best_match(_VALIDATOR.iter_errors(data))
    if err is not None:
        raise HepreintError(
            f"{where(tuple(err.absolute_path))}: {err.message} "
            "(not a valid HEPData table; re-download it from hepdata.net)"
        )
    ind = [
        _variable(where, ("independent_variables", i), v)
        for i, v in enumerate(data["independent_variables"])
    ]
    dep = [
        _variable(where, ("dependent_variables", i), v)
        for i, v in enumerate(data["dependent_variables"])
    ]
    n_rows = {len(v.values) for v in ind + dep}
    if len(n_rows) > 1:
        raise HepreintError(
            f"{where(('dependent_variables',))}: variables have different "
            f"numbers of values {sorted(n_rows)}; every column needs one per row"
        )
    return HEPDataTable(name, ind, dep)


def read_table(path: str | Path, name: str | None = None) -> HEPDataTable:
    """Read one HEPData table file (YAML or JSON); ``name`` defaults to the file's stem."""
    p = Path(path)
    try:
        doc = load_yaml(p)
    except OSError as exc:
        raise HepreintError(f"{p}: cannot read ({exc.strerror})") from None
    return parse_table(doc.data, name or p.stem, doc)


def read_submission(directory: str | Path) -> list[HEPDataTable]:
    """Every table listed in a submission's ``submission.yaml``, named as there."""
    d = Path(directory)
    sub = d / "submission.yaml"
    try:
        docs = list(yaml.safe_load_all(sub.read_text(encoding="utf-8")))
    except OSError as exc:
        raise HepreintError(f"{sub}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError:
        raise HepreintError(f"{sub}: not YAML; expected a HEPData submission.yaml") from None
    return [
        read_table(d / str(doc["data_file"]), str(doc.get("name", doc["data_file"])))
        for doc in docs
        if isinstance(doc, dict) and doc.get("data_file")
    ]


# --- conversion (after the structure check) -------------------------------------------------


def _variable(where: Where, key: PathKey, v: dict[str, Any]) -> Variable:
    quals = [
        Qualifier(str(q["name"]), str(q["value"]), str(q.get("units") or ""))
        for q in v.get("qualifiers") or []
    ]
    cells = [_cell(where, key + ("values", i), c) for i, c in enumerate(v["values"])]
    return Variable(str(v["header"]["name"]), str(v["header"].get("units") or ""), quals, cells)


def _cell(where: Where, key: PathKey, c: dict[str, Any]) -> Cell:
    value = _number(c.get("value"))
    errors = []
    for j, e in enumerate(c.get("errors") or []):
        at = key + ("errors", j)
        label = str(e.get("label", ""))
        if "symerror" in e:
            s = abs(_error(where, at, e["symerror"], value))
            errors.append(Uncertainty(label, -s, s, True))
        else:
            a = e["asymerror"]
            minus = _error(where, at, a["minus"], value)
            errors.append(Uncertainty(label, minus, _error(where, at, a["plus"], value), False))
    return Cell(value, _float(c.get("low")), _float(c.get("high")), tuple(errors))


def _error(where: Where, key: PathKey, raw: Any, value: float | str | None) -> float:
    """One signed error; ``'5%'`` is relative to the value (NaN for a value that is no number)."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        pct = _float(raw.strip()[:-1])
        if pct is not None:
            return pct * abs(value) / 100.0 if isinstance(value, float) else math.nan
    num = _float(raw)
    if num is None:
        raise HepreintError(f"{where(key)}: error {raw!r} is not a number or percentage")
    return num


def _number(x: Any) -> float | str | None:
    """Numbers stay numbers, numeric strings become numbers, anything else stays text."""
    if x is None:
        return None
    num = _float(x)
    return num if num is not None else str(x).strip()


def _quadrature(xs: Iterable[float]) -> float:
    total = 0.0
    for x in xs:
        total = math.hypot(total, x)
    return total


def _float(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, int | float):
        return float(x)
    try:
        return float(str(x))
    except ValueError:
        return None
