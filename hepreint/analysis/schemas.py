"""The JSON Schemas, found inside the wheel or, in a source checkout, in ``schemas/``.

Validation reports every problem at once (pyhf-style), each with the YAML path and line and a
did-you-mean for misspelt keys, so that a user fixes a file in one round trip.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Collection
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from hepreint.analysis.yamlfile import LocatedYAML, format_path


def schemas_dir() -> Path:
    packaged = resources.files("hepreint") / "_data" / "schemas"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """``name`` is e.g. ``"analysis"`` for ``analysis.schema.json``."""
    with open(schemas_dir() / f"{name}.schema.json", encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _finite_number(checker: Any, instance: Any) -> bool:
    """A number a float64 can hold: not bool, not NaN/inf, not an integer beyond 1.8e308."""
    if isinstance(instance, bool) or not isinstance(instance, int | float):
        return False
    try:
        return math.isfinite(float(instance))
    except OverflowError:
        return False


def _finite_validator() -> type[Any]:
    """Draft 2020-12 where ``"type": "number"`` (and integer) refuses non-finite values.

    JSON has no NaN or infinity, but YAML has (``.nan``, ``.inf``), and a ``.nan`` threshold
    passes ``minimum`` (every comparison with NaN is false) and then empties every region.
    Refused everywhere, infinity included: no number of an analysis needs it (an open last bin
    is ``overflow: true``, no threshold is the key left out), and expressions refuse ``1e999``.
    """
    checker = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
        {
            "number": _finite_number,
            "integer": lambda c, x: _finite_number(c, x) and float(x).is_integer(),
        }
    )
    return jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=checker)


_FiniteValidator = _finite_validator()


def _short(x: Any, n: int = 60) -> str:
    text = repr(x)
    return text if len(text) <= n else text[: n - 3] + "..."


def _is_nonfinite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and not _finite_number(None, x)


def _types(want: str | list[str]) -> str:
    """jsonschema's wording (``'string', 'number'``), with YAML's names for object and array."""
    names = {"object": "object (mapping)", "array": "array (list)"}
    return ", ".join(repr(names.get(t, t)) for t in ([want] if isinstance(want, str) else want))


def _branches(err: ValidationError) -> dict[Any, list[ValidationError]]:
    out: dict[Any, list[ValidationError]] = {}
    for e in err.context or []:
        out.setdefault(e.relative_schema_path[0], []).append(e)
    return out


def _leaves(err: ValidationError) -> list[ValidationError]:
    """The errors to report for ``err``: for oneOf/anyOf, every error of the alternative meant.

    The alternative meant is one whose type fits the value (a mapping for a mapping); if one
    is left, all its errors are reported (not just the "best" one, which hid the others).
    """
    if not err.context or err.validator not in ("oneOf", "anyOf"):
        if err.context:
            return _leaves(best_match(err.context))
        return [err]
    fitting = [
        errs
        for errs in _branches(err).values()
        if not any(e.validator == "type" and e.absolute_path == err.absolute_path for e in errs)
    ]
    if len(fitting) != 1 or _required_only(err):
        return [err]
    out: list[ValidationError] = []
    for e in fitting[0]:
        out.extend(_leaves(e))
    return out


def _required_only(err: ValidationError) -> list[str]:
    """The keys of a oneOf/anyOf whose alternatives are each ``{"required": [key]}``."""
    if err.validator not in ("oneOf", "anyOf") or not isinstance(err.schema, dict):
        return []
    alts = err.schema.get(str(err.validator))
    if (
        isinstance(alts, list)
        and alts
        and all(isinstance(a, dict) and list(a) == ["required"] for a in alts)
    ):
        return [a["required"][0] for a in alts]
    return []


def _message(err: ValidationError) -> str:
    inst = err.instance
    if err.validator == "additionalProperties" and isinstance(inst, dict):
        allowed = sorted(err.schema.get("properties", {}))
        return f"allowed keys here: {', '.join(allowed)}"
    keys = _required_only(err)
    if keys and isinstance(inst, dict):
        quoted = " or ".join(repr(k) for k in keys)
        present = [k for k in keys if k in inst]
        if err.validator == "oneOf" and len(present) > 1:
            return f"has {' and '.join(map(repr, present))}; keep exactly one of them"
        need = "exactly one of" if err.validator == "oneOf" else "at least one of"
        return f"missing {quoted}: add {need} {', '.join(keys)}"
    if err.validator == "required" and isinstance(inst, dict):
        missing = [k for k in err.validator_value if k not in inst]
        return f"{', '.join(map(repr, missing))} is a required property; add it"
    if err.validator in ("type", "oneOf", "anyOf") and _is_nonfinite(inst):
        return (
            f"{_short(inst, 24)} is not a finite number; write a finite number (to drop a "
            "threshold remove the key; for an open last bin use overflow: true)"
        )
    if err.validator == "type":
        want = err.validator_value
        return f"{_short(inst)} is not of type {_types(want)}"
    if err.validator in ("oneOf", "anyOf"):
        wanted = [e.validator_value for e in err.context or [] if e.validator == "type"]
        types = [t for w in wanted for t in ([w] if isinstance(w, str) else w)]
        if types:
            return f"{_short(inst)} is not of type {_types(types)}"
    text = err.message
    return text if len(text) <= 200 else text[:197] + "..."


def validate(
    data: Any,
    schema_name: str,
    located: LocatedYAML | None = None,
    *,
    finite: bool = False,
    required: Collection[str] | None = None,
) -> list[str]:
    """All validation errors as ``file:line: at path: message`` strings (empty when valid).

    With ``finite``, numbers must be finite wherever the schema asks for a number (YAML files
    can write ``.nan``/``.inf``; JSON documents cannot, so the others need not ask).
    ``required`` narrows the top-level required keys to those a lenient reader really uses
    (every key present is still checked).
    """
    cls = _FiniteValidator if finite else jsonschema.Draft202012Validator
    schema = load_schema(schema_name)
    if required is not None:
        schema = {**schema, "required": [k for k in schema.get("required", []) if k in required]}
    validator = cls(schema)
    found: list[tuple[int, str, str]] = []
    for err in validator.iter_errors(data):
        for leaf in _leaves(err):
            key = tuple(leaf.absolute_path)
            keys = [key]
            if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
                allowed = leaf.schema.get("properties", {})
                keys = [key + (k,) for k in leaf.instance if k not in allowed]
            for k in keys:
                msg = _message(leaf)
                if k != key:
                    close = difflib.get_close_matches(str(k[-1]), sorted(allowed), n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    msg = f"unknown key {k[-1]!r}{hint}; {msg}"
                where = located.where(k) if located else f"at {format_path(k)}"
                line = (located.line_of(k) if located else None) or 0
                found.append((line, format_path(k), f"{where}: {msg}"))
    return [m for _, _, m in sorted(set(found))]
