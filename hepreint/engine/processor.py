"""Apply a compiled analysis to one batch: objects → overlap removal → variables → cuts → yields.

Stateless and pure (coffea's processor model): the output depends only on the batch, the
analysis and the seed, so any executor may run it anywhere and add the results.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import awkward as ak
import numpy as np

from hepreint import objects as obj
from hepreint.analysis.expr import Scope
from hepreint.analysis.spec import Analysis, ObjectDef
from hepreint.engine.yields import Yields
from hepreint.errors import SpecError
from hepreint.events.batch import EventBatch
from hepreint.objects.quiet import silence_fastjet_banner


@dataclass(frozen=True)
class Processor:
    """``seed`` feeds every random draw through :func:`hepreint.events.random.event_uniforms`, which
    ties draws to events (not batches), so results do not depend on batching or workers."""

    analysis: Analysis
    seed: int = 0

    def process(self, batch: EventBatch) -> Yields:
        values = self.evaluate(batch)
        weights = self._weights(batch, values)
        masks = self._region_masks(values, len(batch))
        return Yields.from_masks(
            self.analysis.layout, masks, weights, batch.weight_names, batch.weights
        )

    def evaluate(self, batch: EventBatch) -> dict[str, Any]:
        """All collections, parameters and variables of the batch, by name (for cuts and users)."""
        a = self.analysis
        values: dict[str, Any] = dict(a.parameters)
        values.update(build_objects(a, batch))
        for name, expr in a.variables.items():
            values[name] = expr(Scope(values))
        return values

    def _weights(self, batch: EventBatch, values: dict[str, Any]) -> np.ndarray:
        w = np.asarray(batch.weights, dtype=np.float64)
        for expr in self.analysis.event_weights:
            extra = _per_event(expr(Scope(values)), len(batch), expr.describe(), fill=0.0)
            bad = ~np.isfinite(extra)
            if bad.any():
                i = int(np.argmax(bad))
                raise SpecError(
                    f"{expr.describe()}: event weight is {extra[i]} in event "
                    f"{int(batch.event_numbers[i])} of {batch.source}; guard the expression "
                    "(e.g. where(count(jets) > 4, ..., 1))"
                )
            w = w * extra[:, None]
        return w

    def _region_masks(self, values: dict[str, Any], n: int) -> dict[str, np.ndarray]:
        cut_masks = {
            name: _per_event(c(Scope(values)), n, c.describe(), fill=False).astype(bool)
            for name, c in self.analysis.cuts.items()
        }
        out = {}
        for region in self.analysis.regions:
            rows = []
            current = np.ones(n, dtype=bool)
            for step in region.steps:
                if step.cut is not None:
                    current = current & cut_masks[step.cut]
                elif step.bin is not None:
                    var, lo, hi = step.bin
                    x = _per_event(
                        values[var], n, self.analysis.variables[var].describe(), fill=np.nan
                    )
                    current = current & (x >= lo) & (x < hi)
                rows.append(current)
            out[region.name] = np.stack(rows)
        return out


def _per_event(x: Any, n: int, what: str, *, fill: Any) -> np.ndarray:
    """A per-event numpy column from an expression value; jagged values are a spec error."""
    if isinstance(x, bool | int | float | np.generic):
        return np.full(n, x)
    if isinstance(x, np.ndarray):
        return x
    arr = ak.Array(x)
    if arr.ndim != 1 or arr.fields:
        raise SpecError(
            f"{what} gives a list or an object per event, not one number; "
            "reduce it with count(), sum(), maxof(), any() or index it ([0]) and take .pt etc."
        )
    return np.asarray(ak.to_numpy(ak.fill_none(arr, fill)))


def build_objects(a: Analysis, batch: EventBatch) -> dict[str, ak.Array]:
    """Base objects from truth particles, overlap removal in the listed order, then derived."""
    silence_fastjet_banner()
    invisible: list[int] = []
    for o in a.objects:
        if o.kind == "met":
            invisible += list(o.params.get("invisible_pids", []))
    truth = obj.truth_view(batch, extra_invisible_pids=invisible)
    out: dict[str, ak.Array] = {}
    lepton_mask = None
    if any(
        o.kind in ("jet", "large_r_jet") and o.params.get("exclude_prompt_leptons", True)
        for o in a.objects
    ):
        lepton_mask = _lepton_mask(a, truth)
    for o in a.objects:
        if o.kind in ("select", "merge"):
            continue
        out[o.name] = _build_base(o, truth, lepton_mask)
    for rule in a.overlap_removal:
        out[rule.remove] = obj.overlap_remove(
            out[rule.remove], out[rule.near], dR=rule.dR, use_rapidity=rule.use_rapidity
        )
    for o in a.objects:  # large-R jets count objects of base collections inside them
        for field, spec in (o.params.get("count_inside") or {}).items():
            inner = out[spec["collection"]]
            if spec.get("where_compiled") is not None:
                inner = _select(inner, spec["where_compiled"])
            counts = obj.count_inside(out[o.name], inner, dR=spec.get("dR", 1.0))
            out[o.name] = ak.with_field(out[o.name], counts, field)
    for o in a.objects:
        if o.kind == "select":
            parent = out[o.sources[0]]
            assert o.where is not None
            out[o.name] = _select(parent, o.where)
        elif o.kind == "merge":
            merged = ak.concatenate([out[s] for s in o.sources], axis=1)
            out[o.name] = merged[ak.argsort(merged.pt, axis=1, ascending=False)]
    return out


def _select(coll: ak.Array, where: Any) -> ak.Array:
    """Objects passing a ``where`` clause; an undecidable (None) clause drops the object."""
    mask = where(Scope({}, obj=coll))
    if isinstance(mask, bool | np.bool_):
        return coll if mask else coll[:, :0]
    return coll[ak.fill_none(mask, False)]


def _lepton_mask(a: Analysis, truth: ak.Array) -> ak.Array:
    """Particles that make the analysis' electrons and muons (with their dressing photons):
    they are leptons, so they are not also clustered into jets. Each flavour is masked with
    its own dressing cone and τ-decay choice; a flavour the analysis does not select uses the
    defaults (prompt, ΔR < 0.1), as ATLAS truth jets exclude prompt leptons of both flavours."""
    mask = None
    for kind, pid in (("electron", 11), ("muon", 13)):
        spec = next((o.params for o in a.objects if o.kind == kind), {})
        m = obj.lepton_particle_mask(
            truth,
            flavours=(pid,),
            dress_dR=float(spec.get("dress_dR", 0.1)),
            accept_tau_decays=bool(spec.get("accept_tau_decays", False)),
        )
        mask = m if mask is None else mask | m
    return mask


#: lowest pT (GeV) of the jets among which hadrons are shared out for flavour labelling
LABEL_PT_MIN = 10.0


def _build_base(o: ObjectDef, truth: ak.Array, lepton_mask: Any) -> ak.Array:
    p = dict(o.params)
    if o.kind in ("electron", "muon"):
        # truth "prompt": not from hadron or τ decays, unless the analysis accepts τ decays
        p.setdefault("accept_tau_decays", False)
        build = obj.electrons if o.kind == "electron" else obj.muons
        coll = build(truth, **p)
    elif o.kind == "photon":
        coll = obj.photons(truth, **p)
    elif o.kind == "tau":
        coll = obj.taus(truth, **p)
    elif o.kind == "met":
        return obj.met(truth)
    elif o.kind in ("jet", "large_r_jet"):
        excl = p.pop("exclude_prompt_leptons", True)
        # small-R: ATLAS cone labelling dR < 0.3; large-R: hadrons anywhere inside the jet
        flavour_dR = p.pop("flavour_dR", 0.3 if o.kind == "jet" else p["R"])
        p.pop("count_inside", None)
        inputs = obj.jet_inputs(truth, exclude=lepton_mask if excl else None)
        if o.kind == "jet":
            # Exclusive labelling gives each hadron to its closest jet of the whole container,
            # before analysis cuts (ATLAS HadronConeExclTruthLabelID, arXiv:1907.05120 Sec. 2):
            # label jets down to LABEL_PT_MIN (our choice), then apply the analysis' cuts.
            pt_min = float(p.pop("pt_min", 20.0))
            eta_max = float(p.pop("abs_eta_max", np.inf))
            coll = obj.jets(inputs, pt_min=min(pt_min, LABEL_PT_MIN), **p)
            coll = ak.with_field(coll, obj.flavour_label(coll, truth, dR=flavour_dR), "flavour")
            coll = coll[(coll.pt >= pt_min) & (abs(coll.eta) < eta_max)]
        else:
            coll = obj.large_r_jets(inputs, **p)
            coll = ak.with_field(
                coll, obj.flavour_label(coll, truth, dR=flavour_dR, exclusive=False), "flavour"
            )
            coll = ak.with_field(coll, obj.n_b_hadrons(coll, truth, dR=flavour_dR), "n_b_hadrons")
    else:  # pragma: no cover - the schema forbids other kinds
        raise SpecError(f"unknown object type {o.kind!r}")
    if o.where is not None:
        coll = _select(coll, o.where)
    return coll
