"""Detector response of one collection: efficiencies drawn, momenta smeared, jets tagged.

Pure functions of (card, collection, per-object uniforms): the draws come from the per-event
streams of :mod:`hepreint.events.random`, so an object gets the same response whatever the batch,
worker or companion analysis. Efficiencies are applied as seeded draws (an object is kept when
its uniform is below its efficiency), resolutions as Gaussian factors on the four-momentum
(Rivet's ``JET_SMEAR_ATLAS_RUN2`` convention: the direction is kept, a negative factor is cut at
0), and flavour tags as one uniform per jet compared with the working points' cumulative
efficiencies, which makes the tag bins pseudo-continuous by construction (a jet passing 60 %
passes 70 %, 77 % and 85 %).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import awkward as ak
import numpy as np

from hepreint.detector.card import DetectorCard
from hepreint.objects._columnar import flat, jagged, offsets_of

Uniforms = Callable[[str, np.ndarray], ak.Array]

#: truth flavour label (hepreint.objects.labelling) -> the card's efficiency class
JET_CLASSES = {5: "b", 4: "c", 15: "tau", 0: "light"}


def _kinematics(coll: ak.Array) -> dict[str, np.ndarray]:
    px, py, pz, e = (flat(coll, f, np.float64) for f in ("px", "py", "pz", "E"))
    pt = np.hypot(px, py)
    p = np.sqrt(pt**2 + pz**2)
    with np.errstate(all="ignore"):
        eta = np.where(pt > 0, np.arcsinh(pz / np.where(pt > 0, pt, 1.0)), np.sign(pz) * 1e9)
    m = np.sqrt(np.maximum(e**2 - p**2, 0.0))
    with np.errstate(all="ignore"):
        mpt = np.where(pt > 0, m / pt, 0.0)
    return {"px": px, "py": py, "pz": pz, "E": e, "pt": pt, "eta": eta,
            "abs_eta": np.abs(eta), "m": m, "mass_over_pt": mpt}  # fmt: skip


def gaussians(u: ak.Array) -> np.ndarray:
    """Standard normals from pairs of uniforms (Box-Muller): draw 2k and 2k+1 make normal k."""
    flat_u = np.asarray(ak.to_numpy(ak.flatten(u, axis=None)), dtype=np.float64)
    u1, u2 = flat_u[0::2], flat_u[1::2]
    return np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)


def _fields(coll: ak.Array) -> dict[str, np.ndarray | ak.contents.Content]:
    return {f: ak.to_layout(ak.flatten(coll[f], axis=1)) for f in coll.fields}


def _rebuild(coll: ak.Array, columns: Mapping[str, Any], keep: np.ndarray | None) -> ak.Array:
    off = offsets_of(coll)
    out = jagged(dict(columns), off, with_name="Momentum4D")
    if keep is not None:
        out = out[ak.unflatten(keep, np.diff(off))]
    order = ak.argsort(out.pt, axis=1, ascending=False)
    return out[order]


def efficiency(
    card: DetectorCard, names: str | list[str], kin: Mapping[str, np.ndarray]
) -> np.ndarray:
    out = np.ones(len(kin["pt"]))
    for n in [names] if isinstance(names, str) else names:
        out = out * card.function(n)(kin)
    return np.clip(out, 0.0, 1.0)


def respond(
    card: DetectorCard,
    kind: str,
    coll: ak.Array,
    uniforms: Uniforms,
    *,
    working_point: str | None = None,
) -> ak.Array:
    """``coll`` (truth objects of ``kind``) as the card's detector sees them, with two extra
    fields per object: ``dpx``/``dpy``, how much the response moved it (for rebuilding MET)."""
    sec = card.section(kind) or {}
    counts = np.asarray(ak.num(coll, axis=1), dtype=np.int64)
    kin = _kinematics(coll)
    cols: dict[str, Any] = _fields(coll)
    n = len(kin["pt"])
    keep = np.ones(n, dtype=bool)
    effs = None
    if "working_points" in sec:
        wp = working_point or sec["default_working_point"]
        effs = sec["working_points"][wp]
    elif "efficiency" in sec:
        effs = sec["efficiency"]
    if effs is not None:
        u = np.asarray(ak.to_numpy(ak.flatten(uniforms(f"{kind}/efficiency", counts))))
        keep = u < efficiency(card, effs, kin)
    factor = np.ones(n)
    if "resolution" in sec:
        res = sec["resolution"]
        sigma = card.function(res["function"])(kin)
        z = gaussians(uniforms(f"{kind}/resolution", 2 * counts))
        factor = np.maximum(1.0 + sigma * z, 0.0)
    for f in ("px", "py", "pz", "E"):
        cols[f] = kin[f] * factor
    if "mass_resolution" in sec:
        sigma_m = card.function(sec["mass_resolution"]["function"])(kin)
        zm = gaussians(uniforms(f"{kind}/mass_resolution", 2 * counts))
        m = kin["m"] * np.maximum(1.0 + sigma_m * zm, 0.0)
        p2 = cols["px"] ** 2 + cols["py"] ** 2 + cols["pz"] ** 2
        cols["E"] = np.sqrt(p2 + m**2)
    cols["dpx"] = cols["px"] - kin["px"]
    cols["dpy"] = cols["py"] - kin["py"]
    tag = sec.get("flavour_tagging")
    if tag:
        cols.update(_tag_fields(card, kind, tag, coll, kin, uniforms, counts))
    return _rebuild(coll, cols, keep)


def jet_class(kind: str, coll: ak.Array) -> np.ndarray:
    """Efficiency class of every jet: b/c/tau/light for small-R jets (truth label), hbb/multijet
    for large-R jets (two or more b-hadrons inside, hepreint.objects.labelling.n_b_hadrons)."""
    if kind == "large_r_jet":
        nb = flat(coll, "n_b_hadrons", np.int64)
        return np.where(nb >= 2, "hbb", "multijet")
    label = flat(coll, "flavour", np.int64)
    return np.vectorize(lambda x: JET_CLASSES.get(int(x), "light"), otypes=[object])(label)


def tag_efficiencies(
    card: DetectorCard, kind: str, tag: Mapping[str, Any], coll: ak.Array,
    kin: Mapping[str, np.ndarray],
) -> dict[int, np.ndarray]:  # fmt: skip
    """Per working point (tightest first), every jet's tag efficiency, made cumulative (the
    looser point is never below the tighter one, as for nested cuts on one discriminant)."""
    classes = jet_class(kind, coll)
    table = tag["efficiency"]
    fallback = "light" if "light" in table else next(iter(table))
    out: dict[int, np.ndarray] = {}
    previous = np.zeros(len(classes))
    for wp in tag["working_points"]:
        eff = np.zeros(len(classes))
        for cls in set(classes.tolist()):
            per_wp = table.get(cls, table[fallback])
            fn = per_wp.get(wp, per_wp.get(str(wp)))
            sel = classes == cls
            eff[sel] = np.clip(card.function(fn)({k: v[sel] for k, v in kin.items()}), 0, 1)
        eff = np.maximum(eff, previous)
        out[int(wp)] = eff
        previous = eff
    return out


def _tag_fields(
    card: DetectorCard, kind: str, tag: Mapping[str, Any], coll: ak.Array,
    kin: Mapping[str, np.ndarray], uniforms: Uniforms, counts: np.ndarray,
) -> dict[str, np.ndarray]:  # fmt: skip
    effs = tag_efficiencies(card, kind, tag, coll, kin)
    u = np.asarray(ak.to_numpy(ak.flatten(uniforms(f"{kind}/tag", counts))))
    prefix = tag_prefix(kind)
    fields: dict[str, np.ndarray] = {}
    n_passed = np.zeros(len(u), dtype=np.int64)
    for wp, eff in effs.items():
        passed = u < eff
        fields[f"{prefix}{wp}"] = passed
        fields[f"{prefix}eff{wp}"] = eff
        n_passed += passed
    fields["tag_bin"] = n_passed  # 0: fails the loosest point ... n: passes the tightest
    return fields


def tag_prefix(kind: str) -> str:
    return "xbb" if kind == "large_r_jet" else "btag"


#: the working points a truth-level (perfectly tagged) collection gets fields for
TRUTH_WORKING_POINTS = {"jet": (60, 70, 77, 85), "large_r_jet": (50, 60, 70)}


def perfect_tags(kind: str, coll: ak.Array) -> ak.Array:
    """Truth level: every b-jet (or large-R jet with two b-hadrons) tagged at every working
    point, every other jet untagged, so one analysis file reads at truth and detector level."""
    if kind == "large_r_jet":
        tagged = coll.n_b_hadrons >= 2
    else:
        tagged = coll.flavour == 5
    prefix = tag_prefix(kind)
    wps = TRUTH_WORKING_POINTS[kind]
    for wp in wps:
        coll = ak.with_field(coll, tagged, f"{prefix}{wp}")
        coll = ak.with_field(coll, ak.values_astype(tagged, np.float64), f"{prefix}eff{wp}")
    return ak.with_field(coll, ak.values_astype(tagged, np.int64) * len(wps), "tag_bin")
