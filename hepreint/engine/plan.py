"""What an analysis builds, in order, each collection named by its *definition*.

Two analyses run in one pass share every collection whose definition is the same, whatever they
call it: the key of a collection is the canonical JSON of everything that decides its content
(the kind and its parameters, the ``where`` clause and the parameter values it reads, the
analysis-wide inputs the kind uses, the overlap removals applied to it, in order). The plan is
made once per analysis and worker; the stages (:mod:`.stages`) only look keys up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hepreint.analysis.expr import Compiled
from hepreint.analysis.spec import Analysis, ObjectDef, OverlapRule
from hepreint.objects import kind


def definition_key(*parts: Any) -> str:
    return json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class Inside:
    """``count_inside``: a large-R jet field counting objects of another collection within dR."""

    name: str
    field: str
    collection: str
    where: Compiled | None
    dR: float


@dataclass(frozen=True)
class AnalysisPlan:
    analysis: Analysis
    #: PDG codes the analysis adds to the invisible particles (MET ``invisible_pids``)
    invisible: tuple[int, ...]
    #: (dress_dR, accept_tau_decays) of the analysis' electrons and muons: the particles they take
    lepton_key: tuple[tuple[float, bool], tuple[float, bool]]
    base: tuple[tuple[ObjectDef, str], ...]
    overlap: tuple[tuple[OverlapRule, str], ...]
    inside: tuple[tuple[Inside, str], ...]
    derived: tuple[tuple[ObjectDef, str], ...]


def _where_key(where: Compiled | None, params: dict[str, float]) -> Any:
    if where is None:
        return None
    return [where.source, {n: params[n] for n in sorted(where.names) if n in params}]


def make_plan(a: Analysis) -> AnalysisPlan:
    params = a.parameters
    invisible: list[int] = []
    for o in a.objects:
        if o.kind in ("select", "merge"):
            continue
        k = kind(o.kind)
        if k.invisible is not None:
            invisible += list(k.invisible(o.params))
    inv = tuple(sorted(set(invisible)))
    leptons = []
    for name in ("electron", "muon"):
        spec = next((o.params for o in a.objects if o.kind == name), {})
        leptons.append(
            (float(spec.get("dress_dR", 0.1)), bool(spec.get("accept_tau_decays", False)))
        )
    lepton_key = (leptons[0], leptons[1])
    current: dict[str, str] = {}
    base = []
    for o in a.objects:
        if o.kind in ("select", "merge"):
            continue
        uses = {"lepton_mask": lepton_key} if "lepton_mask" in kind(o.kind).uses else {}
        p = {k: v for k, v in o.params.items() if k != "count_inside"}
        key = definition_key("base", o.kind, p, _where_key(o.where, params), inv, uses)
        current[o.name] = key
        base.append((o, key))
    overlap = []
    for rule in a.overlap_removal:
        key = definition_key(
            "overlap", current[rule.remove], current[rule.near], rule.dR, rule.use_rapidity
        )
        current[rule.remove] = key
        overlap.append((rule, key))
    inside = []
    for o in a.objects:
        for fld, spec in (o.params.get("count_inside") or {}).items():
            ins = Inside(
                o.name,
                fld,
                spec["collection"],
                spec.get("where_compiled"),
                float(spec.get("dR", 1.0)),
            )
            key = definition_key(
                "inside", current[o.name], fld, current[ins.collection],
                _where_key(ins.where, params), ins.dR,
            )  # fmt: skip
            current[o.name] = key
            inside.append((ins, key))
    derived = []
    for o in a.objects:
        if o.kind == "select":
            key = definition_key("select", current[o.sources[0]], _where_key(o.where, params))
        elif o.kind == "merge":
            key = definition_key("merge", [current[s] for s in o.sources])
        else:
            continue
        current[o.name] = key
        derived.append((o, key))
    return AnalysisPlan(a, inv, lepton_key, tuple(base), tuple(overlap), tuple(inside),
                        tuple(derived))  # fmt: skip
