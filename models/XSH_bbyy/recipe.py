"""Recipe of the X -> S(bb)H(yy) parametrised network surrogate: samples -> features -> training
-> ONNX -> card.

    python models/XSH_bbyy/recipe.py XSH_pnn            # train, export, write the card
    python models/XSH_bbyy/recipe.py XSH_pnn --check    # retrain and compare with the shipped card

A parametrised network (PNN, Baldi et al., arXiv:1601.07913): (mX, mS) are inputs. Each signal
sample enters at its own mass point; each background event at a point drawn for it from the
training grid (a hash of its sample and event number, so the draw does not depend on batching),
so the network cannot tell signal from background by the parameters alone. One mass point of
the grid, LEFT_OUT, is never trained on: the card's metrics compare the network there with its
trained neighbours, which is how well it interpolates. Features come from hepreint's own stages
(:mod:`hepreint.training`), so the network trains on what the runner feeds it. Two folds by
event-number parity; everything is seeded.
"""

from __future__ import annotations

import argparse
import datetime
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
from _lib.metrics import _auc  # noqa: E402
from _lib.set_transformer import InputSpec, SetTransformer  # noqa: E402
from _lib.train import train  # noqa: E402

from hepreint.training import Dataset, collect, definition, fit_scaling, scale  # noqa: E402

ANALYSIS = REPO / "analyses" / "XSH_bbyy"
HERE = Path(__file__).resolve().parent
RECIPE = "models/XSH_bbyy/recipe.py"
DETECTOR = "atlas-run2"
SEED = 20242
#: the signal grid: (mX, mS, generator seed), GeV, spanning the searched plane 170-1000 x
#: 15-500 GeV (arXiv:2404.12915 abstract) where the generator can make it (mX > mS + 125 GeV);
#: (170, 15) is the low-mass corner, (250, 100) the point of HEPData ins2779339 Table 1
GRID = [(170, 15, 112), (250, 100, 113), (300, 50, 101), (300, 100, 102), (500, 50, 103),
        (500, 100, 104), (500, 200, 105), (750, 100, 106), (750, 400, 107), (1000, 100, 108),
        (1000, 200, 109), (1000, 400, 110)]  # fmt: skip
#: never trained on: the interpolation check (inside the grid, between (500, 200), (1000, 200),
#: (750, 100) and (750, 400))
LEFT_OUT = (750, 200, 111)
N_SIGNAL = 600
#: (process, events, seed, params): the documented default trains in minutes on 2 cores; the
#: left-out point is the last signal sample
SIGNALS: list[recipe_lib.Sample] = [
    ("X_SH_bbyy", N_SIGNAL, seed, [f"mX={mx}", f"mS={ms}"]) for mx, ms, seed in [*GRID, LEFT_OUT]
]
BACKGROUNDS: list[recipe_lib.Sample] = [
    ("yy_jets", 3000, 121, []),
    ("yy_jets", 3000, 122, []),
    ("ggH_yy", 1000, 123, []),
    ("ttH_yy", 800, 124, []),
    ("ZH_yy", 800, 125, []),
]
#: the diphoton continuum, and the sample whose events carry its weight in the training and its
#: shape in the likelihood (training_weights, models/XSH_bbyy/likelihood.py)
CONTINUUM, CONTINUUM_PROXY = "yy_jets", "ggH_yy"
#: the analysis preselection without the trigger and without b-tagging (the network reads no
#: tags, the categories are made outside it), so the few Pythia diphoton events with two jets
#: all train
SELECTION = (
    "count(photons) >= 2 and 105 < mass(photons[0], photons[1]) < 160 and "
    "photons[0].pt / mass(photons[0], photons[1]) > 0.35 and "
    "photons[1].pt / mass(photons[0], photons[1]) > 0.25 and count(jets) >= 2"
)
LABELS = {"mX": "mX", "mS": "mS", "n_b": "count(bjets)"}
TRAINING: dict[str, Any] = {"task": "classification", "epochs": 40, "patience": 8, "lr": 1e-3,
                            "batch_size": 256, "d_model": 32, "n_heads": 4, "n_layers": 2}
N_TEST_VECTORS = 3


def _grid_point(i: int) -> tuple[float, float]:
    proc, _, _, params = SIGNALS[i]
    p = dict(q.split("=") for q in params)
    return float(p["mX"]), float(p["mS"])


def params_for_sample(n_signal: int) -> Any:
    """Per-event (mX, mS): the signal sample's own point, or for background a draw from GRID."""
    grid = np.asarray([(mx, ms) for mx, ms, _ in GRID], dtype=np.float64)

    def params(i: int, events: np.ndarray) -> dict[str, np.ndarray]:
        if i < n_signal:
            mx, ms = _grid_point(i)
            return {"mX": np.full(len(events), mx), "mS": np.full(len(events), ms)}
        h = (events.astype(np.uint64) * np.uint64(2654435761) + np.uint64(97 * i + SEED))
        pick = (h % np.uint64(len(grid))).astype(np.int64)
        return {"mX": grid[pick, 0], "mS": grid[pick, 1]}

    return params


def features(work: Path, files: list[Path], card_def: Any, params: Any, tag: str) -> Dataset:
    """The events of ``files`` through hepreint, cached per file (so samples made later do not
    invalidate the others); ``params(i, event_numbers)`` gives file i's parameter values."""
    parts = []
    for i, f in enumerate(files):
        def make(i: int = i, f: Path = f) -> Dataset:
            return collect(ANALYSIS, [f], card_def, selection=SELECTION, labels=LABELS,
                           detector=DETECTOR, seed=SEED,
                           params_for=lambda _j, ev: params(i, ev))  # fmt: skip

        ds = recipe_lib.cached(
            work, [f], [SELECTION, LABELS, DETECTOR, SEED, card_def.data["inputs"], tag, i], make
        )
        ds.sample = np.full(len(ds), i)
        parts.append(ds)
    out = Dataset.concatenate(parts)
    out.files, out.read = [str(f) for f in files], [p.read[0] for p in parts]
    return out


def specs_of(card: Any) -> list[InputSpec]:
    return [InputSpec(i.name, "objects", len(i.features), i.max_objects, i.mask)
            if i.kind == "objects" else InputSpec(i.name, "event", len(i.features))
            for i in card.inputs]  # fmt: skip


def training_weights(ds: Dataset, n_signal: int, xsec: dict[int, float]) -> np.ndarray:
    """Signal: every mass point the same total weight. Background: each sample its selected
    cross-section (sigma x selected / generated), except that the diphoton continuum's share is
    carried by the ggH(yy) events (CONTINUUM_PROXY): Pythia's yy_jets has jets only from the
    shower and ~0.3 % of it passes the training selection, too few events to train on, while
    ggH(yy) + jets is the same colour-singlet diphoton system with shower jets, at m_yy ~ 125."""
    total = {s: xsec[s] * np.sum(ds.sample == s) / ds.read[s]
             for s in range(n_signal, n_signal + len(BACKGROUNDS))}  # fmt: skip
    proxy = n_signal + next(j for j, b in enumerate(BACKGROUNDS) if b[0] == CONTINUUM_PROXY)
    for j, b in enumerate(BACKGROUNDS):
        if b[0] == CONTINUUM:
            total[proxy] += total[n_signal + j]
            total[n_signal + j] = 0.0
    w = np.zeros(len(ds))
    for s in np.unique(ds.sample):
        m = ds.sample == s
        w[m] = 1.0 / m.sum() if s < n_signal else total[int(s)] / m.sum()
    return w


xsec_of = recipe_lib.xsec_of


def build(work: Path, scale_events: float, out_dir: Path, epochs: int | None = None
          ) -> dict[str, Any]:  # fmt: skip
    import torch

    torch.set_num_threads(int(os.environ.get("HEPREINT_TRAIN_THREADS", "1")))
    sig_files, sig_rec = recipe_lib.sample_files(work, SIGNALS, scale_events)
    bkg_files, bkg_rec = recipe_lib.sample_files(work, BACKGROUNDS, scale_events)
    n_sig = len(sig_files)
    left_out = n_sig - 1
    defn_path = HERE / "XSH_pnn" / "definition.yaml"
    card_def = definition(defn_path, ANALYSIS)
    files = [*sig_files, *bkg_files]
    ds = features(work, files, card_def, params_for_sample(n_sig), "training")
    xsec = {n_sig + j: xsec_of(f) for j, f in enumerate(bkg_files)}
    data = yaml.safe_load(defn_path.read_text(encoding="utf-8"))
    train_rows = np.flatnonzero(ds.sample != left_out)
    for inp, pairs in zip(data["inputs"], fit_scaling(card_def, ds.take(train_rows)).values(),
                          strict=True):  # fmt: skip
        for f, (off, sc) in zip(inp["features"], pairs, strict=True):
            f["offset"], f["scale"] = off, sc
    card = definition(defn_path, ANALYSIS, data)
    x_all = scale(card, ds)
    y = (ds.sample >= n_sig).astype(np.int64)  # 0 signal, 1 background
    w = training_weights(ds, n_sig, xsec)
    fold = ds.event_numbers % 2
    cfg = {**TRAINING, **({"epochs": epochs} if epochs else {})}
    specs = specs_of(card)
    onnx_entries, histories, cases, paths = [], [], [], []
    for f in (0, 1):
        rows = np.flatnonzero((fold != f) & (ds.sample != left_out))
        torch.manual_seed(SEED + f)
        model = SetTransformer(specs, 2, "classification", d_model=cfg["d_model"],
                               n_heads=cfg["n_heads"], n_layers=cfg["n_layers"])  # fmt: skip
        result = train(model, {k: v[rows] for k, v in x_all.items()}, y[rows], w[rows],
                       task="classification", seed=SEED + f, epochs=cfg["epochs"],
                       batch_size=cfg["batch_size"], lr=cfg["lr"], patience=cfg["patience"],
                       class_weights="balanced", normalise=False)  # fmt: skip
        histories.append(result.to_dict())
        path = out_dir / f"XSH_pnn.fold{f}.onnx"
        onnx_entries.append({"file": path.name, "sha256": export_onnx(model, specs, path)})
        paths.append(path)
        held = np.flatnonzero(fold == f)
        # test vectors at several mass points: signal events of different samples
        pick = [int(held[ds.sample[held] == s][0]) for s in (0, 5, 10)
                if (ds.sample[held] == s).any()]
        tv_in = {k: v[pick] for k, v in x_all.items()}
        tv_out = np.asarray(run_onnx(path, tv_in)).tolist()
        cases.append({"fold": f, "inputs": {k: v.tolist() for k, v in tv_in.items()},
                      "outputs": {"probabilities": tv_out}})  # fmt: skip
    metrics = point_metrics(card, ds, n_sig, w, paths)
    return {
        **{k: data[k] for k in ("schema", "name", "description", "task", "surrogate",
                                "surrogate_note", "parameters")},
        "onnx": onnx_entries,
        **{k: data[k] for k in ("folds", "inputs", "outputs", "discriminants")},
        "test_vectors": {"atol": 1e-5, "cases": cases},
        "provenance": {
            "recipe": f"{RECIPE} XSH_pnn",
            "command": f"python {RECIPE} XSH_pnn" + (
                f" --scale {scale_events:g}" if scale_events != 1 else "") + (
                f" --epochs {epochs}" if epochs else ""),
            "samples": [*sig_rec, *bkg_rec],
            "selection": SELECTION + f" (detector card {DETECTOR}, seed {SEED})",
            "labels": {
                "signal": "every event of an X_SH_bbyy sample, at its own (mX, mS)",
                "background": "every event of the ggH_yy, ttH_yy, ZH_yy samples, at a grid point "
                              "drawn for it (hash of sample index and event number); each "
                              "sample weighted to its selected cross-section, the ggH_yy events "
                              "also carrying the yy_jets continuum's (too few yy_jets events "
                              "pass: their weight is 0)",
                "left_out": f"the X_SH_bbyy sample at (mX, mS) = {LEFT_OUT[:2]} is not trained "
                            "on",
            },
            "software": recipe_lib.software(),
            "date": datetime.date.today().isoformat(),
            "training": {**cfg, "seed": SEED, "folds": "model f trained on event_number % 2 != f",
                         "events": int((ds.sample != left_out).sum()), "history": histories},
            "metrics": metrics,
        },
    }  # fmt: skip


def point_metrics(card: Any, ds: Dataset, n_sig: int, w: np.ndarray,
                  paths: list[Path]) -> dict[str, Any]:  # fmt: skip
    """Per mass point: held-out AUC of its signal against the whole background evaluated at
    that point, and the signal efficiency where the background efficiency is 1 % and 5 %.

    Each event is scored by the fold model that did not train on it. The background's
    hypothesis-dependent features are recomputed for each point from the ones collected at its
    drawn point (:func:`at_hypothesis`), checked to reproduce those exactly."""
    out: dict[str, Any] = {"evaluated_on": "held-out fold of every event, training selection; "
                                           "background re-evaluated at each point"}
    bkg = ds.take(np.flatnonzero(ds.sample >= n_sig))
    same = at_hypothesis(card, bkg, bkg.labels["mX"], bkg.labels["mS"])
    worst = float(np.max(np.abs(same - bkg.inputs["event"])))
    if worst > 1e-6 * max(1.0, float(np.max(np.abs(bkg.inputs["event"])))):
        raise SystemExit(f"at_hypothesis does not reproduce the collected features ({worst:g})")
    wb = w[ds.sample >= n_sig]  # the training's background mix (training_weights)
    rows = []
    for s in range(n_sig):
        mx, ms = _grid_point(s)
        inputs = {**bkg.inputs, "event": at_hypothesis(card, bkg, mx, ms)}
        moved = Dataset(inputs, bkg.labels, bkg.weights, bkg.event_numbers, bkg.sample,
                        bkg.files, bkg.read)  # fmt: skip
        sig = ds.take(np.flatnonzero(ds.sample == s))
        score_s, score_b = _score(card, sig, paths), _score(card, moved, paths)
        yy = np.r_[np.ones(len(score_s), bool), np.zeros(len(score_b), bool)]
        ww = np.r_[np.full(len(score_s), 1.0 / len(score_s)), wb / wb.sum()]
        auc = _auc(yy, np.r_[score_s, score_b], ww)
        cut = {q: _quantile(score_b, wb, 1 - q) for q in (0.01, 0.05)}
        rows.append({"mX": mx, "mS": ms, "left_out": s == n_sig - 1, "auc": auc,
                     "signal_eff_at_bkg_1pc": float(np.mean(score_s > cut[0.01])),
                     "signal_eff_at_bkg_5pc": float(np.mean(score_s > cut[0.05])),
                     "signal_events": len(score_s), "background_events": len(score_b)})  # fmt: skip
    out["points"] = rows
    return out


def at_hypothesis(card: Any, ds: Dataset, mx: Any, ms: Any) -> np.ndarray:
    """The raw event features of ``ds`` at the hypothesis (mx, ms), from those collected at
    the events' own (labels mX, mS): m_jj and m_jjyy - m_jj - m_yy follow from the features by
    inverting the card's expressions (exact: both logarithms' arguments exceed 1 GeV)."""
    names = [f.name for f in next(i for i in card.inputs if i.name == "event").features]
    x = ds.inputs["event"].astype(np.float64).copy()
    col = {n: j for j, n in enumerate(names)}
    mx0, ms0 = ds.labels["mX"], ds.labels["mS"]
    m_jj = np.exp(x[:, col["log_mjj_over_mS"]]) * ms0
    d = np.exp(x[:, col["log_mX_star_over_mX"]]) * mx0 - ms0 - 125.0
    mx, ms = np.broadcast_to(mx, len(x)), np.broadcast_to(ms, len(x))
    x[:, col["log_mX"]] = np.log(mx)
    x[:, col["log_mS"]] = np.log(ms)
    x[:, col["log_mjj_over_mS"]] = np.log(np.maximum(m_jj, 1.0) / ms)
    x[:, col["log_mX_star_over_mX"]] = np.log(np.maximum(d + ms + 125.0, 1.0) / mx)
    return x


def _score(card: Any, ds: Dataset, paths: list[Path]) -> np.ndarray:
    x = scale(card, ds)
    out = np.empty(len(ds))
    for f, path in enumerate(paths):
        m = np.flatnonzero(ds.event_numbers % 2 == f)
        if len(m):
            out[m] = np.asarray(run_onnx(path, {k: v[m] for k, v in x.items()}))[:, 0]
    return out


def _quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / w.sum()
    return float(x[order][min(np.searchsorted(cw, q), len(x) - 1)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("network", choices=["XSH_pnn"])
    ap.add_argument("--work", type=Path, default=REPO / "models" / "_work" / "XSH_bbyy",
                    help="where samples and feature caches go (not committed)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the sample sizes")
    ap.add_argument("--out", type=Path, default=ANALYSIS / "networks")
    ap.add_argument("--epochs", type=int, default=None, help="override the number of epochs")
    ap.add_argument("--check", action="store_true",
                    help="retrain and compare with the shipped card (writes nothing)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.check:
        worst = recipe_lib.check_against(
            "XSH_pnn", args.out, lambda tmp: build(args.work, args.scale, tmp, args.epochs))
        if worst > 1e-5:
            raise SystemExit(f"XSH_pnn: not reproduced within 1e-5 ({worst:.3g})")
        return
    card = build(args.work, args.scale, args.out, args.epochs)
    print("wrote", recipe_lib.write_card(card, args.out, RECIPE))
    for row in card["provenance"]["metrics"]["points"]:
        print(row)


if __name__ == "__main__":
    main()
