"""A minimal reader of one HEPData table in HEPData's own YAML format.

Written here because ``hepreint/export/hepdata.py`` (the general HEPData reader/writer) did not
exist when validation was written; this one also checks the structure and names the YAML path
and line of a problem, which a validation error must. Asymmetric errors follow the same
convention as that reader (up = the positive side, down = the negative side). Errors are
turned into absolute (up, down) pairs once, here, so the comparison never sees percentages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from ..spec.yamlfile import LocatedYAML
from .errors import ValidationError

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
SCHEMA = {
    "type": "object",
    "required": ["independent_variables", "dependent_variables"],
    "properties": {
        "independent_variables": {"type": "array", "items": _VARIABLE},
        "dependent_variables": {"type": "array", "minItems": 1, "items": _VARIABLE},
    },
}


@dataclass(frozen=True)
class Cell:
    value: float | str | None  # a number, a label (string), or None for HEPData's "-"
    low: float | None = None
    high: float | None = None
    up: float = 0.0  # absolute errors, all sources added in quadrature
    down: float = 0.0

    def matches(self, key: float | str) -> bool:
        """A row key: equal number or label, or a number inside [low, high)."""
        if isinstance(key, str) and isinstance(self.value, str):
            return self.value.strip() == key.strip()
        num = _number(key)
        if num is None:
            return False
        if isinstance(self.value, float) and math.isclose(self.value, num, rel_tol=1e-9):
            return True
        return self.low is not None and self.high is not None and self.low <= num < self.high

    def label(self) -> str:
        if self.value is None and self.low is not None:
            return f"{self.low:g}-{self.high:g}"
        return self.value if isinstance(self.value, str) else f"{self.value:g}"


@dataclass(frozen=True)
class Variable:
    name: str
    units: str
    qualifiers: dict[str, str]
    values: list[Cell]

    def names(self) -> list[str]:
        """What a mapping may call this column: its header name or any qualifier value."""
        return [self.name] + list(self.qualifiers.values())


@dataclass(frozen=True)
class HEPDataTable:
    independent: list[Variable]
    dependent: list[Variable]


def is_hepdata(data: Any) -> bool:
    return isinstance(data, dict) and "dependent_variables" in data


def read_table(doc: LocatedYAML) -> HEPDataTable:
    """Check the structure (first problem, with YAML path and line) and convert the cells."""
    err = best_match(jsonschema.Draft202012Validator(SCHEMA).iter_errors(doc.data))
    if err is not None:
        raise ValidationError(
            f"{doc.where(tuple(err.absolute_path))}: {err.message} "
            "(not a valid HEPData table; re-download it in YAML format)"
        )
    ind = [
        _variable(doc, ("independent_variables", i), v)
        for i, v in enumerate(doc.data["independent_variables"])
    ]
    dep = [
        _variable(doc, ("dependent_variables", i), v)
        for i, v in enumerate(doc.data["dependent_variables"])
    ]
    n_rows = {len(v.values) for v in ind + dep}
    if len(n_rows) > 1:
        raise ValidationError(
            f"{doc.where(('dependent_variables',))}: variables have different "
            f"numbers of values {sorted(n_rows)}; every column needs one per row"
        )
    return HEPDataTable(ind, dep)


def _variable(doc: LocatedYAML, key: tuple[str | int, ...], v: dict[str, Any]) -> Variable:
    quals = {str(q["name"]): str(q["value"]) for q in v.get("qualifiers") or []}
    cells = [_cell(doc, key + ("values", i), c) for i, c in enumerate(v["values"])]
    return Variable(str(v["header"]["name"]), str(v["header"].get("units") or ""), quals, cells)


def _cell(doc: LocatedYAML, key: tuple[str | int, ...], c: dict[str, Any]) -> Cell:
    raw = c.get("value")
    value: float | str | None = _number(raw) if _number(raw) is not None else raw
    if isinstance(value, str) and value.strip() == "-":
        value = None
    up = down = 0.0
    for j, e in enumerate(c.get("errors") or []):
        where = key + ("errors", j)
        if "symerror" in e:
            u = d = _error(doc, where, e["symerror"], value)
        else:
            plus = _error(doc, where, e["asymerror"]["plus"], value)
            minus = _error(doc, where, e["asymerror"]["minus"], value)
            if plus * minus < 0:  # the usual {plus: +a, minus: -b}, or the inverted {-a, +b}
                u, d = max(plus, minus), -min(plus, minus)
            else:  # both signs equal: a sloppy {plus: a, minus: b}; read as magnitudes
                u, d = abs(plus), abs(minus)
        up, down = math.hypot(up, abs(u)), math.hypot(down, abs(d))
    return Cell(value, _number(c.get("low")), _number(c.get("high")), up, down)


def _error(doc: LocatedYAML, key: tuple[str | int, ...], raw: Any, value: Any) -> float:
    """One signed error; HEPData allows ``'5%'`` relative to the value."""
    if isinstance(raw, str) and raw.strip().endswith("%"):
        pct = _number(raw.strip()[:-1])
        if pct is not None and isinstance(value, float):
            return pct * abs(value) / 100.0
    num = _number(raw)
    if num is None:
        raise ValidationError(f"{doc.where(key)}: error {raw!r} is not a number or percentage")
    return num


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, int | float):
        return float(x)
    try:
        return float(str(x))
    except ValueError:
        return None
