"""Detector cards: found by name or path, validated at load like an analysis, extendable.

A card (``detectors/<name>.yaml``, schema ``hepreint-detector/1``) is data: named functions, what
each object kind takes from them, flavour tagging and triggers. ``extends: other`` starts from
another card and overrides single functions or object entries, so a user can try a better jet
resolution without copying the whole card. Everything the schema cannot see is checked here too
(unknown function names, an efficiency that can exceed 1, unsorted edges, a default working point
that is not defined), each problem with its YAML path and line, all at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepreint.analysis.catalog import data_dirs
from hepreint.analysis.schemas import validate
from hepreint.analysis.yamlfile import LocatedYAML, load_yaml
from hepreint.detector.functions import Evaluator, check_function, compile_function, value_range
from hepreint.errors import SpecError

#: the name that means "no detector": truth-level objects
TRUTH = "truth"
#: objects already reconstructed in the file (Delphes) or smeared by the user's fast simulation
NONE = "none"


def detectors_dirs() -> list[Path]:
    return data_dirs("detectors")


def list_cards() -> list[str]:
    return sorted({p.stem for d in detectors_dirs() for p in d.glob("*.yaml")})


def card_path(name_or_path: str | Path) -> Path:
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") and p.is_file():
        return p
    for d in detectors_dirs():
        if (d / f"{name_or_path}.yaml").is_file():
            return d / f"{name_or_path}.yaml"
    known = ", ".join([TRUTH, NONE, *list_cards()])
    raise SpecError(
        f"detector {str(name_or_path)!r}: no such card; known: {known} (or a .yaml path)"
    )


@dataclass
class DetectorCard:
    name: str
    path: Path
    data: dict[str, Any]
    digest: str
    functions: dict[str, Evaluator] = field(default_factory=dict, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (load_card, (str(self.path),))

    @property
    def approximate(self) -> bool:
        return bool(self.data.get("approximate", True))

    def section(self, kind: str) -> dict[str, Any] | None:
        out: dict[str, Any] | None = self.data["objects"].get(kind)
        return out

    def function(self, name: str) -> Evaluator:
        return self.functions[name]

    def describe(self) -> dict[str, Any]:
        """What results record of the card (provenance)."""
        return {
            "name": self.name,
            "sha256": self.digest,
            "approximate": self.approximate,
            "approximations": list(self.data.get("approximations", [])),
        }


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """``over`` on top of ``base``: functions, object kinds and triggers replaced one by one."""
    out = {
        **base,
        **{k: v for k, v in over.items() if k not in ("functions", "objects", "triggers")},
    }
    for key in ("functions", "objects", "triggers"):
        merged = dict(base.get(key) or {})
        merged.update(over.get(key) or {})
        out[key] = merged
    out.pop("extends", None)
    return out


def _read(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], LocatedYAML]:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise SpecError(f"{path}:1: expected a mapping (schema: hepreint-detector/1, name: ...)")
    required = None if "extends" not in doc.data else ["schema", "name"]
    problems = validate(doc.data, "detector", doc, finite=True, required=required)
    if problems:
        raise SpecError(_join(path, problems))
    data = dict(doc.data)
    parent = data.get("extends")
    if parent:
        ppath = card_path(parent if not str(parent).endswith(".yaml") else path.parent / parent)
        if ppath.resolve() in chain:
            raise SpecError(f"{path}: extends {parent!r}, which extends this card again")
        base, _ = _read(ppath, chain + (ppath.resolve(),))
        data = _merge(base, data)
    return data, doc


def load_card(name_or_path: str | Path) -> DetectorCard:
    path = card_path(name_or_path)
    data, doc = _read(path, (path.resolve(),))
    problems = _check(data, doc)
    if problems:
        raise SpecError(_join(path, problems))
    table = data["functions"]
    digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    card = DetectorCard(str(data["name"]), path, data, digest)
    card.functions = {n: compile_function(n, s, table) for n, s in table.items()}
    return card


def _names(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _check(data: dict[str, Any], doc: LocatedYAML) -> list[str]:
    table: dict[str, Any] = data["functions"]
    problems: list[str] = []

    def at(key: tuple[Any, ...], msg: str) -> None:
        problems.append(f"{doc.where(key)}: {msg}")

    for name, spec in table.items():
        for p in check_function(name, spec, table):
            at(("functions", name), p)
    if problems:
        return problems

    def efficiency(key: tuple[Any, ...], names: list[str]) -> None:
        """The product of ``names`` is an efficiency: it must stay within [0, 1]."""
        unknown = [n for n in names if n not in table]
        for n in unknown:
            at(key, f"unknown function {n!r}; the card defines: {', '.join(sorted(table))}")
        if unknown:
            return
        lo, hi = value_range("", {"form": "product", "of": names}, table)
        if lo < 0 or hi > 1:
            at(key, f"{' x '.join(names)} is used as an efficiency but ranges over "
                    f"[{lo:g}, {hi:g}]; an efficiency lies in [0, 1]")  # fmt: skip

    def function(key: tuple[Any, ...], n: str) -> None:
        if n not in table:
            at(key, f"unknown function {n!r}; the card defines: {', '.join(sorted(table))}")

    for kind, sec in (data.get("objects") or {}).items():
        base = ("objects", kind)
        for wp, names in (sec.get("working_points") or {}).items():
            efficiency(base + ("working_points", wp), _names(names))
        if "default_working_point" in sec and sec["default_working_point"] not in sec.get(
            "working_points", {}
        ):
            at(base + ("default_working_point",),
               f"{sec['default_working_point']!r} is not one of the working points defined "
               f"here ({', '.join(sec.get('working_points', {}))})")  # fmt: skip
        if "efficiency" in sec:
            efficiency(base + ("efficiency",), _names(sec["efficiency"]))
        for res in ("resolution", "mass_resolution"):
            if res in sec:
                function(base + (res, "function"), sec[res]["function"])
        if "soft_term" in sec:
            function(base + ("soft_term",), sec["soft_term"])
        tag = sec.get("flavour_tagging")
        if tag:
            wps = list(tag["working_points"])
            if wps != sorted(set(wps)):
                at(
                    base + ("flavour_tagging", "working_points"),
                    f"{wps}: list each working point once, tightest (lowest efficiency) first",
                )
            for flav, per_wp in tag["efficiency"].items():
                for wp, n in per_wp.items():
                    key = base + ("flavour_tagging", "efficiency", flav, wp)
                    if int(wp) not in wps:
                        at(key, f"working point {wp} is not in working_points {wps}")
                    efficiency(key, [n])
                missing = [w for w in wps if w not in {int(k) for k in per_wp}]
                if missing:
                    at(base + ("flavour_tagging", "efficiency", flav),
                       f"no efficiency for working point(s) {missing}")  # fmt: skip
    for tname, trig in (data.get("triggers") or {}).items():
        for i, leg in enumerate(trig["any_of"]):
            efficiency(("triggers", tname, "any_of", i, "efficiency"), [leg["efficiency"]])
    return problems


def _join(path: Path, problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    head = f"{path}: {len(problems)} problem(s) in the detector card"
    return "\n".join([head] + [f"  {p}" for p in problems])
