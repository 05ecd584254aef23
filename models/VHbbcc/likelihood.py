"""Recipe of the VH(bb/cc) calibrated likelihood: every sample of models/VHbbcc/samples.py through
the analysis, the SM VH and VZ samples with their strengths, one background scale solved on one
published number.

    python models/VHbbcc/likelihood.py          # writes analyses/VHbbcc/likelihood/*

Model (likelihood/README.md): the channels of ``likelihood.channels`` in analysis.yaml (the BDT
signal regions in pT(V) and the Delta R control regions); samples WH(bb), ZH(bb), VH(cc) and VZ
with their strengths, and a background = k x their SM expectation in every bin (equal S/B): the
LO background samples (ttbar, W/Z+jets, single top; they train the BDTs) are far too sparse for
a per-bin background, and what they give is recorded (mc_background_summary). MC statistics (+)
a 5 % modelling term, one parameter per channel; observations = the SM expectation.

Calibration: k so that the median expected WH(bb) significance is the published 5.5 sigma
(arXiv:2410.19611 abstract, trust A). The cross-checks it did not use: ZH(bb) expected
significance (5.6 sigma), the expected VH(cc) limit (10.6 x SM), the VH(bb) strength uncertainty
(0.16, talk, trust B) and the VZ(cc) expected significance of the 2022 VH(cc) analysis (2.2
sigma, trust A, 139 fb^-1). Every sample is run with truth tagging (each event enters the b- and
c-tag categories with its probability, which the small samples need).
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "models"))
sys.path.insert(0, str(HERE))

import samples as vh_samples  # noqa: E402

from hepreint import RunOptions, load_analysis, run  # noqa: E402
from hepreint.stats.mapping import CALIBRATED_LABEL, ChannelMap, likelihood_spec  # noqa: E402
from hepreint.stats.sidecar import META_SCHEMA  # noqa: E402
from hepreint.stats.simplified import BuiltWorkspace  # noqa: E402
from hepreint.stats.template_model import (  # noqa: E402
    TemplateSample,
    expected_interval,
    expected_significance,
    expected_upper_limit,
    fill,
    measurement,
    solve_background_scale,
    template_workspace,
)

ANALYSIS = REPO / "analyses" / "VHbbcc"
OUT = ANALYSIS / "likelihood"
RECIPE = "models/VHbbcc/likelihood.py"
SEED = 24101
MODELLING = 0.05
#: one MC-statistics parameter per channel (template_model.template_workspace: per-bin
#: parameters make every fit of this 49-bin model cost minutes)
MC_STAT = "per_channel"
#: (pyhf sample, processes, normfactor, normsys prior, scaled by the calibration)
SAMPLES = [
    ("WH_bb", ["WH_bb"], "mu_WHbb", None, False),
    ("ZH_bb", ["ZH_bb"], "mu_ZHbb", None, False),
    ("VH_cc", ["WH_cc", "ZH_cc"], "mu_VHcc", None, False),
    ("VZ", ["VZ"], "mu_VZ", None, False),
    ("ttbar", ["ttbar"], "norm_ttbar", None, True),
    ("W_jets", ["W_jets"], "norm_Wjets", None, True),
    ("Z_jets", ["Z_jets"], "norm_Zjets", None, True),
    ("single_top", ["single_top"], None, (0.85, 1.15), True),
]
#: the SM VH samples: 6000 (3000) events each, their MC statistics are not in the model
SM_VH = ("WH_bb", "ZH_bb", "VH_cc")
STRENGTHS = ("mu_WHbb", "mu_ZHbb", "mu_VHcc", "mu_VZ")
NORMS: dict[str, tuple[float, float]] = {}
FREE = {"mu_WHbb": (-5.0, 10.0), "mu_ZHbb": (-5.0, 10.0), "mu_VHcc": (-100.0, 200.0),
        "mu_VZ": (-5.0, 10.0)}  # fmt: skip
#: the VZ validation regions (analysis.yaml), fitted on their own
VZ_BB = ("L0_bb_VZ", "L1_bb_VZ", "L2_bb_VZ")
VZ_CC = ("L0_cc2_VZ", "L1_cc2_VZ", "L2_cc2_VZ")


def _reference() -> dict[str, dict[str, Any]]:
    import yaml

    doc = yaml.safe_load((ANALYSIS / "reference" / "published.yaml").read_text("utf-8"))
    return {n["id"]: n for n in doc["numbers"]}


def _digest() -> str:
    """What the results depend on: analysis.yaml and the network cards (not the README)."""
    h = hashlib.sha256((ANALYSIS / "analysis.yaml").read_bytes())
    for p in sorted((ANALYSIS / "networks").glob("*")):
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def results_of(f: Path) -> dict[str, Any]:
    """``hepreint run`` of one sample (truth tagging, generator cross-section), cached."""
    cache = vh_samples.WORK / "results" / f"{f.name.split('.')[0]}_{_digest()}_s{SEED}.json"
    if cache.is_file():
        doc: dict[str, Any] = json.loads(cache.read_text("utf-8"))
        return doc
    print("run", f.name, flush=True)
    opts = RunOptions(seed=SEED, tagging="truth", executor="processes", workers=2)
    doc = run(ANALYSIS, [str(f)], opts).to_dict()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps(doc), encoding="utf-8")
    return doc


def _vz_spec(spec: Any, analysis: Any) -> Any:
    from hepreint.stats.mapping import _binned

    binned = _binned(analysis)
    chans = tuple(ChannelMap(f"VZ_{r}", tuple(binned[r])) for r in (*VZ_BB, *VZ_CC))
    return dataclasses.replace(spec, channels=chans)


def _tied(ws: dict[str, Any], names: tuple[str, ...], to: str) -> dict[str, Any]:
    """The workspace with the normfactors ``names`` renamed to one, ``to``."""
    out = copy.deepcopy(ws)
    for c in out["channels"]:
        for s in c["samples"]:
            for m in s["modifiers"]:
                if m["type"] == "normfactor" and m["name"] in names:
                    m["name"] = to
    return out


def _check(ref: dict[str, Any], key: str, pred: float, how: str) -> dict[str, Any]:
    v = float(ref["value"][key]) if isinstance(ref["value"], dict) else float(ref["value"])
    return {"id": f"{ref['id']}.{key}" if isinstance(ref["value"], dict) else ref["id"],
            "published": v, "predicted": pred, "relative_difference": (pred - v) / v,
            "trust": ref.get("trust"), "source": ref.get("source"), "how": how}  # fmt: skip


def background_like(sm: list[TemplateSample], spec: Any) -> TemplateSample:
    """The background of every bin = the SM expectation there (VH(bb) + VH(cc) + VZ), to be
    scaled by k: equal S/B in every bin, as the other calibrated likelihoods of hepreint. Our
    LO background samples cannot give a per-bin background: one ttbar MC event weighs ~10^4
    events at 140 fb^-1 and most fitted bins hold none (mc_background_summary)."""
    out = TemplateSample("background", [], None, None, True)
    out.yields = {c.channel: [sum(s.yields[c.channel][i] for s in sm)
                              for i in range(len(c.regions))] for c in spec.channels}  # fmt: skip
    out.stat = {c.channel: [math.sqrt(sum(s.stat[c.channel][i] ** 2 for s in sm))
                            for i in range(len(c.regions))] for c in spec.channels}  # fmt: skip
    return out


def mc_background_summary(mc: list[TemplateSample], spec: Any) -> dict[str, Any]:
    """What the LO background MC gives per channel (summed yield, empty bins): the record of
    why it is not the model's background."""
    out: dict[str, Any] = {}
    for c in spec.channels:
        tot = [sum(s.yields[c.channel][i] for s in mc) for i in range(len(c.regions))]
        out[c.channel] = {"yield": sum(tot), "empty_bins": sum(t == 0 for t in tot),
                          "bins": len(tot)}  # fmt: skip
    return out


def build() -> tuple[BuiltWorkspace, dict[str, Any], dict[str, Any]]:
    files, records = vh_samples.files()
    procs = [s[0] for s in [*vh_samples.SIGNALS, *vh_samples.BACKGROUNDS]]
    docs = {p: results_of(f) for p, f in zip(procs, files, strict=True)}
    analysis = load_analysis(ANALYSIS)
    spec = likelihood_spec(analysis)
    sm = [TemplateSample(name, [docs[p] for p in ps], nf, ns, sc, mc_stat=False)
          for name, ps, nf, ns, sc in SAMPLES if name in (*SM_VH, "VZ")]  # fmt: skip
    fill(sm, spec)
    mc_bkg = [TemplateSample(name, [docs[p] for p in ps], nf, ns, sc)
              for name, ps, nf, ns, sc in SAMPLES if name not in (*SM_VH, "VZ")]  # fmt: skip
    fill(mc_bkg, spec)
    samples = [*sm, background_like(sm, spec)]
    refs = _reference()
    m_reint = measurement("reinterpretation", "mu", fixed={s: 1.0 for s in STRENGTHS},
                          bounds=NORMS)  # fmt: skip
    # VH_SM first: pyhf's CLI (inspect, cls) builds the first measurement, whose POI must be in
    # the workspace; the user's signal "mu" of "reinterpretation" is patched in by hepreint
    m_sm = measurement("VH_SM", "mu_WHbb", bounds=FREE)

    def ws_at(k: float, **kw: Any) -> dict[str, Any]:
        return template_workspace(samples, spec, [m_sm, m_reint], scale=k, modelling=MODELLING,
                                  mc_stat=MC_STAT, **kw)  # fmt: skip

    def free(poi: str) -> dict[str, Any]:
        return measurement(f"fit_{poi}", poi, bounds={p: b for p, b in FREE.items() if p != poi})

    target = refs["WH_bb_significance"]
    z_target = float(target["value"]["expected"])
    k = solve_background_scale(ws_at, lambda ws: expected_significance(ws, free("mu_WHbb")),
                               z_target, bracket=(1e-3, 1e5))  # fmt: skip
    ws = ws_at(k)
    achieved = expected_significance(ws, free("mu_WHbb"))
    print(f"background scale k = {k:.4g}: expected WH(bb) significance {achieved:.3f}")
    checks = [
        _check(refs["ZH_bb_significance"], "expected", expected_significance(ws, free("mu_ZHbb")),
               "median expected discovery significance of mu_ZHbb (asymptotic q0 on the SM "
               "expectation, every other strength and normalisation free)"),
    ]  # fmt: skip
    ws0 = ws_at(k, nominal={"mu_VHcc": 0.0})
    checks.append(_check(
        refs["mu_cc_limit"], "expected", expected_upper_limit(ws0, free("mu_VHcc")),
        "median expected 95 % CL CLs upper limit on mu_VHcc (Asimov data with mu_VHcc = 0, the "
        "H->bb strengths at 1, the others free)"))  # fmt: skip
    tied = _tied(ws, ("mu_WHbb", "mu_ZHbb"), "mu_VHbb")
    lo, hi = expected_interval(tied, measurement("fit_mu_VHbb", "mu_VHbb", bounds={
        p: b for p, b in FREE.items() if p not in ("mu_WHbb", "mu_ZHbb")}))  # fmt: skip
    mu_ref = refs["mu_bb"]
    tot = (mu_ref["uncertainty"]["stat"] ** 2 + mu_ref["uncertainty"]["syst"] ** 2) ** 0.5
    checks.append({
        "id": "mu_bb", "compared": "68 % profile-likelihood interval of one VH(bb) strength "
        "(WH and ZH tied) on the SM expectation vs the published total uncertainty (stat (+) "
        "syst)", "published_uncertainty": {"plus": tot, "minus": tot},
        "predicted_uncertainty": {"plus": hi - 1.0, "minus": 1.0 - lo},
        "relative_difference": {"plus": (hi - 1.0 - tot) / tot, "minus": (1.0 - lo - tot) / tot},
        "trust": mu_ref.get("trust"), "source": mu_ref.get("source"),
        "how": "mu_WHbb and mu_ZHbb renamed to one normfactor; Wilks interval"})  # fmt: skip
    vz_spec = _vz_spec(spec, analysis)
    vz_sm = [dataclasses.replace(s) for s in sm]
    fill(vz_sm, vz_spec)
    vz_samples = [*vz_sm, background_like(vz_sm, vz_spec)]
    m_vz = measurement("VZ", "mu_VZ", bounds={p: b for p, b in FREE.items() if p != "mu_VZ"})
    vz_ws = template_workspace(vz_samples, vz_spec, [m_vz], scale=k, modelling=MODELLING,
                               mc_stat=MC_STAT)  # fmt: skip
    z_vzcc = expected_significance(
        template_workspace(vz_samples, vz_spec, [m_vz], scale=k, modelling=MODELLING,
                           mc_stat=MC_STAT, channels=[f"VZ_{r}" for r in VZ_CC]), m_vz)  # fmt: skip
    vz_ref = refs["vhcc2022_diboson_validation"]
    checks.append(_check(
        {**vz_ref, "id": f"{vz_ref['id']}.VZcc", "value": vz_ref["value"]["VZcc"]}, "expected",
        z_vzcc,
        "median expected significance of mu_VZ in the two-c-tag VZ regions (L*_cc2_VZ, the VZ "
        "BDT) alone; every VZ event counts as signal (Z -> bb leaking through the b-veto "
        "included); the published number is the 139 fb^-1 VH(cc) analysis' (arXiv:2201.11428), "
        "ours is at 140 fb^-1 with the legacy-like selection"))  # fmt: skip
    z_vzbb = expected_significance(
        template_workspace(vz_samples, vz_spec, [m_vz], scale=k, modelling=MODELLING,
                           mc_stat=MC_STAT, channels=[f"VZ_{r}" for r in VZ_BB]), m_vz)  # fmt: skip
    z_vz = expected_significance(vz_ws, m_vz)
    reported = [
        {"id": "VZ_bb_expected_significance", "predicted": z_vzbb,
         "how": "mu_VZ in the 2-b-tag VZ regions alone (no published value at hand)"},
        {"id": "VZ_expected_significance", "predicted": z_vz,
         "how": "mu_VZ in all six VZ regions (no published value at hand)"},
        {"id": "WH_bb_expected_significance_at_solution", "predicted": achieved,
         "how": "the calibrated number itself (a consistency check, not a prediction)"},
    ]  # fmt: skip
    meta = {
        "schema": META_SCHEMA,
        "kind": "calibrated",
        "label": CALIBRATED_LABEL,
        "source": "hepreint's Pythia 8 SM VH and VZ samples (models/VHbbcc/samples.py) "
                  "through analysis.yaml with truth tagging; a background equal to k x their "
                  "expectation in every bin, k solved so that the expected WH(bb) significance "
                  "is 5.5 sigma (arXiv:2410.19611 abstract)",
        "observations": "the SM expectation (every strength at 1): no observed counts are "
                        "published for these regions, observed = expected",
        "model": "WH_bb, ZH_bb, VH_cc, VZ samples with normfactors mu_WHbb, mu_ZHbb, mu_VHcc, "
                 "mu_VZ (fixed at 1 in the measurement 'reinterpretation', where a user's "
                 "signal enters with mu; free in 'VH_SM'); one 'background' sample = k x "
                 "(WH_bb + ZH_bb + VH_cc + VZ) in every bin (equal S/B); the background's MC "
                 f"statistics (+) a {MODELLING:.0%} modelling term as one normsys per channel "
                 "(mcstat_<channel>); a user's signal's MC statistics as one normsys over all "
                 "bins (likelihood.signal_mc_stat: overall)",
        "calibration": {
            "recipe": RECIPE,
            "target": {"id": target["id"], "value": z_target, "unit": "sigma",
                       "what": "expected WH(bb) significance", "source": target.get("source"),
                       "trust": target.get("trust")},
            "solved": {"background_scale": k,
                       "scaled_samples": [s.name for s in samples if s.scaled]},
            "achieved": {"value": achieved, "consistency_check_only": True},
            "samples": [{"name": n, "process": r["process"], "command": r["command"],
                         "events": r["events"], "xsec_pb": docs[r["process"]]["normalisation"]
                         ["xsec_pb"], "role": next(s[0] for s in SAMPLES if r["process"] in s[1])
                         if r["process"] in ("WH_bb", "ZH_bb", "WH_cc", "ZH_cc", "VZ")
                         else "BDT training only (mc_background)"}
                        for n, r in zip(procs, records, strict=True)],
            "choices": [
                "background = k x the SM VH(bb) + VH(cc) + VZ expectation in every bin (equal "
                "S/B everywhere, as hepreint's other calibrated likelihoods): the LO Pythia "
                "background samples (ttbar, W/Z+jets, single top) are far too sparse for a "
                "per-bin background (one ttbar MC event weighs ~10^4 events at 140 fb^-1; "
                "mc_background lists their totals and empty bins), so their shapes and the "
                "control regions' constraining power are NOT in the model",
                f"modelling uncertainty {MODELLING:.0%} of the background in quadrature with its "
                "MC statistics, one parameter per channel (not per bin: with pyhf's numpy "
                "backend a parameter per bin makes a limit cost many minutes); the SM VH "
                "samples' own MC statistics are not in the model; no other systematic "
                "uncertainty",
                "truth tagging for every sample (hybrid: the b-tags truth-tagged for V+jets in "
                "the paper; here for every sample, which the small samples need)",
                "the BDTs are SURROGATES (networks/, models/VHbbcc/recipe.py); the BDT bins, "
                "the Delta R boundaries and the c-tag weights are chosen (analysis.yaml)",
                "the boosted regions are not in the model (no boosted likelihood: the resolved "
                "regions stop at pT(V) = 400 GeV)",
            ],
            "mc_background": mc_background_summary(mc_bkg, spec),
            "crosschecks": checks,
            "reported": reported,
            "command": f"python {RECIPE}",
        },
    }  # fmt: skip
    return BuiltWorkspace(ws, meta), vz_ws, meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    built, vz_ws, meta = build()
    args.out.mkdir(parents=True, exist_ok=True)
    built.write(args.out / "workspace.json")
    (args.out / "workspace_VZ.json").write_text(json.dumps(vz_ws, indent=1) + "\n", "utf-8")
    print(json.dumps(meta["calibration"]["crosschecks"], indent=1))
    print(json.dumps(meta["calibration"]["reported"], indent=1))


if __name__ == "__main__":
    main()
