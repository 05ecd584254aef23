"""Recipe of the VH(bb/cc) BDT surrogates: samples -> features -> GradientBoosting -> ONNX -> card.

    python models/VHbbcc/recipe.py all              # BDT_VH_0L, BDT_VH_1L, BDT_VH_2L
    python models/VHbbcc/recipe.py BDT_VH_1L        # one of them
    python models/VHbbcc/recipe.py all --check      # retrain and compare with the shipped cards

One multi-class BDT per lepton channel (VH(bb), VH(cc), VZ, background) stands for the
analysis' VH, VH(cc) and VZ BDTs of that channel (arXiv:2410.19611; the three BDT sets of talk
J. M. Wagner (ATLAS) and D. Valsecchi (CMS), 'ML in Higgs', Higgs 2024, trust B). The BDTs are
flavour-blind: they train on the channel preselection without any b- or c-tag requirement, so
the small Pythia background samples train on all their events, and the tag categories are cut
outside them (the analysis truth-tags its V+jets anyway). Features come from hepreint's own
stages (:mod:`hepreint.training`) through one superset card, collected once per file and cached;
each BDT takes its card's columns of it (the same expressions, so the same numbers the runner
computes). Two folds by event-number parity; everything is seeded.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "models"))
sys.path.insert(0, str(HERE))

import samples as vh_samples  # noqa: E402
from _lib import recipe as recipe_lib  # noqa: E402
from _lib.bdt import check_bdt, export_bdt, train_bdt  # noqa: E402
from _lib.export import run_onnx  # noqa: E402
from _lib.metrics import _auc, classification_metrics  # noqa: E402

from hepreint.training import Dataset, collect, definition  # noqa: E402

ANALYSIS = REPO / "analyses" / "VHbbcc"
RECIPE = "models/VHbbcc/recipe.py"
DETECTOR = "atlas-run2"
SEED = 2410
NETWORKS = ("BDT_VH_0L", "BDT_VH_1L", "BDT_VH_2L")
CLASSES = ("VHbb", "VHcc", "VZ", "bkg")
#: the class of each process (samples.py)
CLASS_OF = {"WH_bb": 0, "ZH_bb": 0, "WH_cc": 1, "ZH_cc": 1, "VZ": 2,
            "ttbar": 3, "W_jets": 3, "Z_jets": 3, "single_top": 3}  # fmt: skip
#: the union of the three channel preselections without triggers and tags (analysis.yaml cuts
#: zero_lepton/met_150, one_lepton/pTV_150, two_lepton/mll_z/pTV_75, >= 2 central jets)
SELECTION = (
    "count(jets) >= 2 and ((count(leptons) == 0 and etmiss.pt > 150) or "
    "(count(leptons) == 1 and leptons[0].pt > 27 and ptsum(leptons[0], etmiss) > 150) or "
    "(count(leptons) == 2 and leptons[0].pt > 27 and mass(leptons[0], leptons[1]) > 81 and "
    "mass(leptons[0], leptons[1]) < 101 and (leptons[0] + leptons[1]).pt > 75))"
)
LABELS = {"n_lep": "count(leptons)", "n_jets": "count(jets) + count(fwd_jets)"}
#: each BDT's rows of the superset: (lepton count, allowed jet counts or None for >= 2)
CHANNEL = {"BDT_VH_0L": (0, (2, 3)), "BDT_VH_1L": (1, (2, 3)), "BDT_VH_2L": (2, None)}
TRAINING: dict[str, Any] = {"n_estimators": 200, "max_depth": 3, "learning_rate": 0.1,
                            "subsample": 0.8}  # fmt: skip
N_TEST_VECTORS = 3


def _definition_data(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((HERE / name / "definition.yaml").read_text("utf-8"))
    return data


def superset() -> tuple[Any, list[str]]:
    """One card whose single event input holds every feature of the three BDTs (same names,
    same expressions: the definitions are checked to agree)."""
    feats: dict[str, dict[str, Any]] = {}
    for name in NETWORKS:
        for f in _definition_data(name)["inputs"][0]["features"]:
            if feats.setdefault(f["name"], f) != f:
                raise SystemExit(f"{name}: feature {f['name']} differs from another BDT's")
    data = _definition_data(NETWORKS[0])
    data = {**data, "name": "BDT_VH_superset",
            "inputs": [{**data["inputs"][0], "features": list(feats.values())}]}  # fmt: skip
    return definition(HERE / NETWORKS[0] / "definition.yaml", ANALYSIS, data), list(feats)


def features(files: list[Path]) -> Dataset:
    card, names = superset()
    parts = []
    for i, f in enumerate(files):
        def make(f: Path = f) -> Dataset:
            return collect(ANALYSIS, [f], card, selection=SELECTION, labels=LABELS,
                           detector=DETECTOR, seed=SEED)  # fmt: skip

        ds = recipe_lib.cached(vh_samples.WORK, [f], [SELECTION, LABELS, DETECTOR, SEED, names],
                               make)  # fmt: skip
        ds.sample = np.full(len(ds), i)
        parts.append(ds)
    out = Dataset.concatenate(parts)
    out.files, out.read = [str(f) for f in files], [p.read[0] for p in parts]
    return out


def training_weights(ds: Dataset, procs: list[str], xsec: list[float]) -> np.ndarray:
    """Within a class each sample carries its selected cross-section (sigma x selected /
    generated), so WH and ZH, or ttbar and W+jets, mix as in nature; every class then has the
    same total weight (balanced)."""
    w = np.zeros(len(ds))
    for s, xs in enumerate(xsec):
        m = ds.sample == s
        if m.any():
            w[m] = xs / ds.read[s]
    y = np.asarray([CLASS_OF[procs[s]] for s in ds.sample], dtype=np.int64)
    for c in range(len(CLASSES)):
        m = y == c
        if m.any():
            w[m] *= len(ds) / len(CLASSES) / w[m].sum()
    return w


def physical_weights(ds: Dataset, xsec: list[float]) -> np.ndarray:
    """sigma / generated per event (pb): the weights of the metrics."""
    return np.asarray([xsec[s] / ds.read[s] for s in ds.sample])


def build(name: str, ds: Dataset, procs: list[str], xsec: list[float], records: list[Any],
          out_dir: Path) -> dict[str, Any]:  # fmt: skip
    data = _definition_data(name)
    card = definition(HERE / name / "definition.yaml", ANALYSIS, data)
    _, all_names = superset()
    cols = [all_names.index(f.name) for f in card.inputs[0].features]
    n_lep, jets = CHANNEL[name]
    rows = ds.labels["n_lep"] == n_lep
    if jets is not None:
        rows &= np.isin(ds.labels["n_jets"], jets)
    sub = ds.take(np.flatnonzero(rows))
    X = sub.inputs["features"][:, cols].astype(np.float32)
    y = np.asarray([CLASS_OF[procs[s]] for s in sub.sample], dtype=np.int64)
    w = training_weights(sub, procs, xsec)
    phys = physical_weights(sub, xsec)
    fold = sub.event_numbers % 2
    onnx_entries, cases, probs = [], [], np.zeros((len(sub), len(CLASSES)))
    for f in (0, 1):
        train_rows = np.flatnonzero(fold != f)
        model = train_bdt(X[train_rows], y[train_rows], w[train_rows], seed=SEED + f,
                          **TRAINING)  # fmt: skip
        path = out_dir / f"{name}.fold{f}.onnx"
        held = np.flatnonzero(fold == f)
        sha = export_bdt(model, X.shape[1], path, check_inputs=X[held])
        check_bdt(path, model, X[held])
        onnx_entries.append({"file": path.name, "sha256": sha})
        probs[held] = np.asarray(run_onnx(path, {"features": X[held]}, output="probabilities"))
        pick = [int(held[y[held] == c][0]) for c in range(N_TEST_VECTORS) if (y[held] == c).any()]
        tv = np.asarray(run_onnx(path, {"features": X[pick]}, output="probabilities"))
        cases.append({"fold": f, "inputs": {"features": X[pick].tolist()},
                      "outputs": {"probabilities": tv.tolist()}})  # fmt: skip
    metrics = _metrics(probs, y, phys, sub, procs)
    return {
        **{k: data[k] for k in ("schema", "name", "description", "task", "surrogate",
                                "surrogate_note")},
        "onnx": onnx_entries,
        **{k: data[k] for k in ("folds", "inputs", "outputs", "discriminants")},
        "test_vectors": {"atol": 1e-5, "cases": cases},
        "provenance": {
            "recipe": f"{RECIPE} {name}",
            "command": f"python {RECIPE} {name}",
            "samples": records,
            "selection": f"{SELECTION}, then count(leptons) == {n_lep}"
                         + (f" and n_jets in {list(jets)}" if jets else "")
                         + f" (detector card {DETECTOR}, direct tags unused, seed {SEED})",
            "labels": {c: sorted(p for p, k in CLASS_OF.items() if k == i)
                       for i, c in enumerate(CLASSES)},
            "software": _software(),
            "date": datetime.date.today().isoformat(),
            "training": {"model": "sklearn GradientBoostingClassifier (models/_lib/bdt.py)",
                         **TRAINING, "seed": SEED,
                         "folds": "model f trained on event_number % 2 != f",
                         "weights": "sigma x selected / generated within a class, classes "
                                    "balanced (training_weights)",
                         "events": int(len(sub)),
                         "events_per_class": {c: int((y == i).sum())
                                              for i, c in enumerate(CLASSES)}},
            "metrics": metrics,
        },
    }  # fmt: skip


def _metrics(probs: np.ndarray, y: np.ndarray, w: np.ndarray, ds: Dataset,
             procs: list[str]) -> dict[str, Any]:  # fmt: skip
    """On held-out events (each scored by the fold model that did not train on it), with
    physical weights: the class metrics and each discriminant's AUC against what it rejects."""
    out: dict[str, Any] = {"evaluated_on": "held-out fold of every event, physical weights "
                                           "(sigma / generated)",
                           **classification_metrics(probs, y, w, CLASSES)}  # fmt: skip
    p = {c: probs[:, i] for i, c in enumerate(CLASSES)}
    disc = {
        "D_VHbb": (p["VHbb"] / np.maximum(p["VHbb"] + p["VZ"] + p["bkg"], 1e-6), 0, (2, 3)),
        "D_VHcc": (p["VHcc"] / np.maximum(p["VHcc"] + p["VZ"] + p["bkg"], 1e-6), 1, (2, 3)),
        "D_VZ": (p["VZ"], 2, (0, 1, 3)),  # the probabilities sum to 1
    }
    out["discriminant_auc"] = {
        d: _auc(y[np.isin(y, (s, *against))] == s, score[np.isin(y, (s, *against))],
                w[np.isin(y, (s, *against))])
        for d, (score, s, against) in disc.items()
    }  # fmt: skip
    out["discriminant_auc_note"] = ("D_VHbb and D_VHcc: their signal against VZ + background; "
                                    "D_VZ: VZ against VH + background")  # fmt: skip
    out["background_events_per_process"] = {
        procs[s]: int((ds.sample == s).sum()) for s in np.unique(ds.sample)
    }
    return out


def _software() -> dict[str, str]:
    import skl2onnx
    import sklearn

    return {**recipe_lib.software(), "scikit-learn": sklearn.__version__,
            "skl2onnx": skl2onnx.__version__}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("network", choices=[*NETWORKS, "all"])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the sample sizes")
    ap.add_argument("--out", type=Path, default=ANALYSIS / "networks")
    ap.add_argument("--check", action="store_true",
                    help="retrain and compare with the shipped cards (writes nothing)")
    args = ap.parse_args()
    files, records = vh_samples.files(args.scale)
    procs = [s[0] for s in [*vh_samples.SIGNALS, *vh_samples.BACKGROUNDS]]
    xsec = [recipe_lib.xsec_of(f) for f in files]
    ds = features(files)
    args.out.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    for name in NETWORKS if args.network == "all" else (args.network,):
        if args.check:
            worst = max(worst, recipe_lib.check_against(
                name, args.out, lambda tmp, n=name: build(n, ds, procs, xsec, records, tmp)))
            continue
        card = build(name, ds, procs, xsec, records, args.out)
        print("wrote", recipe_lib.write_card(card, args.out, RECIPE))
        m = card["provenance"]["metrics"]
        print(name, "events", card["provenance"]["training"]["events_per_class"],
              "AUC", m["discriminant_auc"])
    if args.check and worst > 1e-5:
        raise SystemExit(f"not reproduced within 1e-5 ({worst:.3g})")


if __name__ == "__main__":
    main()
