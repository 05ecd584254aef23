"""The JSON Schemas, found inside the wheel or, in a source checkout, in ``schemas/``.

Validation reports every problem at once (pyhf-style), each with the YAML path and line and a
did-you-mean for misspelt keys, so that a user fixes a file in one round trip.
"""

from __future__ import annotations

import difflib
import json
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


def _leaf(err: ValidationError) -> ValidationError:
    """For if/then, oneOf, anyOf failures, the sub-error that says most."""
    if err.context:
        return _leaf(best_match(err.context))
    return err


def _message(err: ValidationError) -> str:
    err = _leaf(err)
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = sorted(err.schema.get("properties", {}))
        extra = [k for k in err.instance if k not in allowed]
        hints = []
        for k in extra:
            close = difflib.get_close_matches(k, allowed, n=1)
            hints.append(f"{k!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        return f"unknown key {', '.join(hints)}; allowed: {', '.join(allowed)}"
    if (
        err.validator == "oneOf"
        and err.schema.get("oneOf")
        and all("required" in alt and len(alt) == 1 for alt in err.schema["oneOf"])
    ):
        keys = [alt["required"][0] for alt in err.schema["oneOf"]]
        return f"needs exactly one of {', '.join(keys)}"
    return err.message


def validate(data: Any, schema_name: str, located: LocatedYAML | None = None) -> list[str]:
    """All validation errors as ``file:line: at path: message`` strings (empty when valid)."""
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    out = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        leaf = _leaf(err)
        key = tuple(leaf.absolute_path)
        if leaf.validator == "additionalProperties" and isinstance(leaf.instance, dict):
            allowed = leaf.schema.get("properties", {})
            extra = [k for k in leaf.instance if k not in allowed]
            key = key + tuple(extra[:1])
        where = located.where(key) if located else f"at {format_path(key)}"
        out.append(f"{where}: {_message(err)}")
    return out
