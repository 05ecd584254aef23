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
from hepreint.detector import DetectorCard, Requirement, card_for
from hepreint.errors import SpecError
from hepreint.networks import LoadedNetwork, load_network
from hepreint.objects import kind

#: object parameters the detector stage reads; the truth builders never see them
DETECTOR_PARAMS = ("working_point", "delphes_btag_bits", "count_inside")
#: a detector builds truth candidates below the analysis' thresholds so that objects smeared
#: across a threshold migrate both ways: pT cuts are applied after smearing, on this fraction
LOOSEN = 0.5


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
    #: the detector card applied (None: truth level or objects as in the file)
    card: DetectorCard | None = None
    #: per base object with a card: the key of its truth candidates (loosened thresholds)
    candidates: tuple[str, ...] = ()
    #: tag requirements by cut name
    requirements: tuple[tuple[str, Requirement], ...] = ()
    #: truth tagging: the tag cut whose drawn tags each region's kinematics use ("": direct)
    region_views: tuple[tuple[str, str], ...] = ()
    #: the analysis' networks with their sessions (opened once per process)
    networks: tuple[tuple[str, LoadedNetwork], ...] = ()

    @property
    def truth_tagging(self) -> bool:
        return self.card is not None and self.analysis.tagging == "truth" and bool(
            self.requirements
        )


def builder_params(o: ObjectDef) -> dict[str, Any]:
    return {k: v for k, v in o.params.items() if k not in DETECTOR_PARAMS}


def loosened(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    if "pt_min" in out:
        out["pt_min"] = float(out["pt_min"]) * LOOSEN
    out.pop("abs_eta_max", None)  # the card's acceptance and the analysis cut act after
    return out


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
    card = card_for(a.detector)
    det = None if card is None else [card.name, card.digest]
    current: dict[str, str] = {}
    base = []
    candidates = []
    for o in a.objects:
        if o.kind in ("select", "merge"):
            continue
        uses = {"lepton_mask": lepton_key} if "lepton_mask" in kind(o.kind).uses else {}
        p = {k: v for k, v in o.params.items() if k != "count_inside"}
        key = definition_key("base", o.kind, p, _where_key(o.where, params), inv, uses, det)
        current[o.name] = key
        base.append((o, key))
        if card is not None and kind(o.kind).truth_only:
            candidates.append("")  # generator truth: built as at truth level, not responded
        elif card is not None:
            candidates.append(definition_key("candidates", o.kind, loosened(builder_params(o)),
                                             inv, uses))  # fmt: skip
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
    requirements = tuple((c, Requirement.from_spec(t)) for c, t in a.tag_cuts.items())
    if card is not None:
        _check_card(a, card, {o.name for o, _ in base})
    return AnalysisPlan(a, inv, lepton_key, tuple(base), tuple(overlap), tuple(inside),
                        tuple(derived), card, tuple(candidates), requirements,
                        _region_views(a),
                        tuple((n, load_network(c)) for n, c in a.networks.items()))  # fmt: skip


def _region_views(a: Analysis) -> tuple[tuple[str, str], ...]:
    out = []
    for r in a.regions:
        tagged = sorted({s.cut for s in r.steps if s.cut in a.tag_cuts})
        if len(tagged) > 1:
            raise SpecError(
                f"{a.path}: region {r.name!r} uses tag requirements {', '.join(tagged)}; truth "
                "tagging draws one tag configuration per region: merge them into one tags: cut "
                "(e.g. at_least: {70: 2, 85: 3})"
            )
        out.append((r.name, tagged[0] if tagged else ""))
    return tuple(out)


def _check_card(a: Analysis, card: DetectorCard, base: set[str]) -> None:
    """What the analysis asks of the card, checked before any event is read."""
    missing = [t for t in a.triggers if t not in (card.data.get("triggers") or {})]
    if missing:
        raise SpecError(
            f"{a.path}: triggers {', '.join(missing)} are not defined by detector card "
            f"{card.name} ({card.path}); define them there under triggers: or choose another "
            f"card (it defines: {', '.join(card.data.get('triggers') or {}) or 'none'})"
        )
    for o in a.objects:
        if o.kind in ("select", "merge") or kind(o.kind).truth_only:
            continue
        sec = card.section(o.kind)
        if sec is None:
            raise SpecError(
                f"{a.path}: object {o.name} (type: {o.kind}): detector card {card.name} "
                f"({card.path}) has no objects.{o.kind} entry; add one to the card (or a card "
                f"extending it) or run --detector truth"
            )
        wp = o.params.get("working_point")
        if wp is not None and sec is not None and wp not in sec.get("working_points", {}):
            raise SpecError(
                f"{a.path}: object {o.name}: working point {wp!r} is not in detector card "
                f"{card.name} (it has: {', '.join(sec.get('working_points', {})) or 'none'})"
            )
    if a.tagging == "truth":
        for cut, t in a.tag_cuts.items():
            if t["collection"] not in base:
                raise SpecError(
                    f"{a.path}: cut {cut}: truth tagging needs the tags: collection to be a base "
                    f"collection (type: jet), not the derived {t['collection']!r}"
                )
