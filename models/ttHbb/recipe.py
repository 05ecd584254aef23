"""Recipe of the ttH(bb) surrogate networks: samples -> features -> training -> ONNX -> card.

    python models/ttHbb/recipe.py ttH_class      # the six-class event classifier
    python models/ttHbb/recipe.py pTH_reco       # the pT(H) regression
    python models/ttHbb/recipe.py all --check    # retrain and compare with the shipped cards

Samples are made with ``hepreint generate`` (commands recorded in the card), features with
hepreint's own stages and feature code (:mod:`hepreint.training`), so the network trains on what
the runner will feed it. Two folds by event-number parity: the model of fold i is trained on the
events of the other fold and serves fold i. Everything is seeded; ``--check`` retrains from the
same samples and compares the new ONNX outputs with the card's test vectors.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "models"))

from _lib import recipe as recipe_lib  # noqa: E402
from _lib.export import export_onnx, run_onnx  # noqa: E402
from _lib.metrics import classification_metrics, regression_metrics  # noqa: E402
from _lib.set_transformer import InputSpec, SetTransformer  # noqa: E402
from _lib.train import train  # noqa: E402

from hepreint.training import Dataset, collect, definition, fit_scaling, scale  # noqa: E402

ANALYSIS = REPO / "analyses" / "ttHbb"
HERE = Path(__file__).resolve().parent
DETECTOR = "atlas-run2"
SEED = 20241
#: (process, events, seed, params): the documented default size trains in minutes on 2 cores;
#: --scale multiplies the events
SAMPLES: list[tuple[str, int, int, list[str]]] = [
    ("ttH", 4000, 11, []),
    # g -> b bbar enhanced x4 (weights compensate; Neff/N ~ 0.9, tt+>=1b ~ 9 % unweighted):
    # hepreint generate list, process ttbar_hf
    ("ttbar_hf", 4000, 12, ["enhance=4"]),
    ("ttbar_hf", 4000, 13, ["enhance=4"]),
    # x8: twice the tt+b events per generated event, more weight spread (Neff/N ~ 0.7)
    ("ttbar_hf", 4000, 14, ["enhance=8"]),
    ("ttbar_hf", 4000, 15, ["enhance=8"]),
]
#: looser than the channels' preselections (>= 5j >= 3b@70 in 1l; >= 3j, >= 2b@70 and >= 3b@85
#: in 2l) so that a few-thousand-event sample trains: one or two leptons, >= 3 jets, >= 2 jets
#: b-tagged at 85 %. The network is then applied inside the preselections only.
SELECTION = (
    "count(leptons) >= 1 and count(leptons) <= 2 and count(jets) >= 3 and sum(jets.btag85) >= 2"
)
LABELS = {
    "hf_class": "fill(hf[0].hf_class, 0)",
    "truth_pt_h": "fill(higgs[0].pt, -1)",
    # the channels' object-level preselections (no trigger), for the metrics at preselection
    "presel_1l": "count(leptons) == 1 and count(jets) >= 5 and sum(jets.btag70) >= 3",
    "presel_2l": "count(leptons) == 2 and count(jets) >= 3 and sum(jets.btag70) >= 2 "
                 "and sum(jets.btag85) >= 3",
}  # fmt: skip
CLASSES = ["ttH", "tt+>=2b", "tt+B", "tt+1b", "tt+>=1c", "tt+light"]
TRAINING: dict[str, dict[str, Any]] = {
    "ttH_class": {"task": "classification", "epochs": 60, "patience": 10, "lr": 1e-3,
                  "batch_size": 256, "d_model": 32, "n_heads": 4, "n_layers": 2},
    "pTH_reco": {"task": "regression", "epochs": 60, "patience": 10, "lr": 1e-3,
                 "batch_size": 256, "d_model": 32, "n_heads": 4, "n_layers": 2},
}  # fmt: skip
N_TEST_VECTORS = 3


def sample_files(work: Path, scale_events: float) -> tuple[list[Path], list[dict[str, Any]]]:
    return recipe_lib.sample_files(work, SAMPLES, scale_events)


def features(work: Path, files: list[Path], card_def: Any) -> Dataset:
    """The training sample through hepreint (cached in WORK by the definition and files)."""
    return recipe_lib.cached(
        work, files, [SELECTION, LABELS, DETECTOR, SEED, _inputs_key(card_def)],
        lambda: collect(ANALYSIS, files, card_def, selection=SELECTION, labels=LABELS,
                        detector=DETECTOR, seed=SEED),
    )  # fmt: skip


def _inputs_key(card: Any) -> Any:
    return card.data["inputs"]


def specs_of(card: Any) -> list[InputSpec]:
    out = []
    for i in card.inputs:
        if i.kind == "objects":
            out.append(InputSpec(i.name, "objects", len(i.features), i.max_objects, i.mask))
        else:
            out.append(InputSpec(i.name, "event", len(i.features)))
    return out


def targets(name: str, ds: Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows used, target, weights): the classifier takes every event (ttH sample = class 0, tt
    samples = their heavy-flavour class), the regression only the ttH events."""
    is_tth = ds.sample == 0
    w = ds.weights / np.array([np.mean(ds.weights[ds.sample == s]) for s in ds.sample])
    if name == "ttH_class":
        y = np.where(is_tth, 0, ds.labels["hf_class"]).astype(np.int64)
        rows = np.flatnonzero(is_tth | (y > 0))
        return rows, y[rows], w[rows]
    rows = np.flatnonzero(is_tth & (ds.labels["truth_pt_h"] > 0))
    return rows, np.log(ds.labels["truth_pt_h"][rows] / 100.0).astype(np.float32), w[rows]


def build(
    name: str, work: Path, scale_events: float, out_dir: Path, epochs: int | None = None
) -> dict[str, Any]:
    import torch

    torch.set_num_threads(int(os.environ.get("HEPREINT_TRAIN_THREADS", "1")))
    files, records = sample_files(work, scale_events)
    defn_path = HERE / name / "definition.yaml"
    card_def = definition(defn_path, ANALYSIS)
    ds = features(work, files, card_def)
    data = yaml.safe_load(defn_path.read_text(encoding="utf-8"))
    for inp, pairs in zip(data["inputs"], fit_scaling(card_def, ds).values(), strict=True):
        for f, (off, sc) in zip(inp["features"], pairs, strict=True):
            f["offset"], f["scale"] = off, sc
    scaled_card = definition(defn_path, ANALYSIS, data)
    rows, y, w = targets(name, ds)
    x = {k: v[rows] for k, v in scale(scaled_card, ds).items()}
    fold = ds.event_numbers[rows] % 2
    cfg = {**TRAINING[name], **({"epochs": epochs} if epochs else {})}
    specs = specs_of(scaled_card)
    n_out = len(data["outputs"]["names"])
    onnx_entries, predictions, histories = [], np.zeros((len(rows), n_out)), []
    cases = []
    for f in (0, 1):
        train_rows, held = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        torch.manual_seed(SEED + f)
        model = SetTransformer(specs, n_out, cfg["task"], d_model=cfg["d_model"],
                               n_heads=cfg["n_heads"], n_layers=cfg["n_layers"])  # fmt: skip
        result = train(model, {k: v[train_rows] for k, v in x.items()}, y[train_rows],
                       w[train_rows], task=cfg["task"], seed=SEED + f, epochs=cfg["epochs"],
                       batch_size=cfg["batch_size"], lr=cfg["lr"], patience=cfg["patience"],
                       class_weights="balanced" if cfg["task"] == "classification" else None,
                       normalise=False)  # the card's scaling is the preprocessing  # fmt: skip
        histories.append(result.to_dict())
        path = out_dir / f"{name}.fold{f}.onnx"
        sha = export_onnx(model, specs, path)
        onnx_entries.append({"file": path.name, "sha256": sha})
        held_x = {k: v[held] for k, v in x.items()}
        predictions[held] = np.asarray(run_onnx(path, held_x)).reshape(len(held), -1)
        pick = held[:N_TEST_VECTORS]
        tv_in = {k: v[pick] for k, v in x.items()}
        tv_out = np.asarray(run_onnx(path, tv_in))
        cases.append({"fold": f, "inputs": {k: v.tolist() for k, v in tv_in.items()},
                      "outputs": {data["outputs"]["tensor"]: tv_out.tolist()}})  # fmt: skip
    metrics = _metrics(name, ds, rows, y, w, predictions)
    card = {
        **{k: data[k] for k in ("schema", "name", "description", "task", "surrogate",
                                "surrogate_note")},
        "onnx": onnx_entries,
        **{k: data[k] for k in ("folds", "inputs", "outputs") if k in data},
        **({"discriminants": data["discriminants"]} if "discriminants" in data else {}),
        "test_vectors": {"atol": 1e-5, "cases": cases},
        "provenance": {
            "recipe": f"models/ttHbb/recipe.py {name}",
            "command": f"python models/ttHbb/recipe.py {name}" + (
                f" --scale {scale_events:g}" if scale_events != 1 else "") + (
                f" --epochs {epochs}" if epochs else ""),
            "samples": records,
            "selection": SELECTION + f" (detector card {DETECTOR}, seed {SEED})",
            "labels": _label_doc(name),
            "software": recipe_lib.software(),
            "date": datetime.date.today().isoformat(),
            "training": {**cfg, "seed": SEED, "folds": "model f trained on event_number % 2 != f",
                         "events": int(len(rows)), "history": histories},
            "metrics": metrics,
        },
    }  # fmt: skip
    return card


def _metrics(name: str, ds: Dataset, rows: np.ndarray, y: np.ndarray, w: np.ndarray,
             pred: np.ndarray) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {"evaluated_on": "held-out fold of every event (the model that did "
                                           "not train on it), training selection"}
    if name == "ttH_class":
        out["training_selection"] = classification_metrics(pred, y, w, CLASSES)
        for ch in ("presel_1l", "presel_2l"):
            m = ds.labels[ch][rows] > 0
            if m.sum() > 10 and len(set(y[m])) > 1:
                out[ch] = classification_metrics(pred[m], y[m], w[m], CLASSES)
        return out
    truth = np.exp(y) * 100.0
    reco = 100.0 * np.exp(pred[:, 0])
    out["training_selection"] = regression_metrics(reco, truth, w,
                                                   edges=[0, 60, 114, 192, 282, 408])
    return out


def _label_doc(name: str) -> dict[str, str]:
    if name == "pTH_reco":
        return {"target": "log(pT(H)/100 GeV) of the generator Higgs boson (last copy), ttH "
                          "sample; output transformed back with 100*exp(x)"}
    return {
        "ttH": "every event of the ttH (H->bb) sample",
        "tt+jets classes": "hf[0].hf_class of the tt samples (hepreint.objects.heavy_flavour: "
                           "the ATLAS HF classification of particle-level jets not from top or "
                           "W decays; tt+>=2b, tt+B, tt+1b, tt+>=1c, tt+light)",
    }


def check(
    name: str, work: Path, scale_events: float, shipped: Path, epochs: int | None = None
) -> float:
    """Retrain into a scratch directory and compare with the shipped card's test vectors."""
    return recipe_lib.check_against(
        name, shipped, lambda tmp: build(name, work, scale_events, tmp, epochs)
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("network", choices=["ttH_class", "pTH_reco", "all"])
    ap.add_argument("--work", type=Path, default=REPO / "models" / "_work" / "ttHbb",
                    help="where samples and feature caches go (not committed)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the sample sizes")
    ap.add_argument("--out", type=Path, default=ANALYSIS / "networks")
    ap.add_argument("--epochs", type=int, default=None,
                    help="override the documented number of epochs (tests use a few)")
    ap.add_argument("--check", action="store_true",
                    help="retrain and compare with the shipped cards (writes nothing)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    names = ["ttH_class", "pTH_reco"] if args.network == "all" else [args.network]
    for name in names:
        if args.check:
            worst = check(name, args.work, args.scale, args.out, args.epochs)
            if worst > 1e-5:
                raise SystemExit(f"{name}: not reproduced within 1e-5 ({worst:.3g})")
            continue
        card = build(name, args.work, args.scale, args.out, args.epochs)
        print("wrote", recipe_lib.write_card(card, args.out, "models/ttHbb/recipe.py"))
        print(json.dumps(card["provenance"]["metrics"], indent=1)[:3000])


if __name__ == "__main__":
    main()
