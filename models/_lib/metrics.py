"""Weighted performance summaries of a trained network, as plain JSON-serialisable values.

Why these: a surrogate network is validated against the published performance of the original
(confusion matrices of a multi-class ttH(bb) classifier, the background-rejection AUC, the
resolution and bin-to-bin migration of a pT regression), so the recipe reports the same numbers.

Negative weights: yields (confusion matrices, migration matrices, bias) use the weights as given,
because a negatively weighted event is a genuine subtraction in the expected yield. Ranking and
quantile estimates cannot: sklearn's ``roc_auc_score`` fails or returns nonsense when the
cumulative weights are not monotonic, and a weighted quantile needs a monotonic CDF. For AUCs and
the 68 % resolution negative weights are therefore set to zero; the fraction of the absolute
weight dropped that way is reported as ``negative_weight_fraction``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_auc_score


def _negative_fraction(w: np.ndarray) -> float:
    total = np.abs(w).sum()
    return float(np.abs(w[w < 0]).sum() / total) if total > 0 else 0.0


def _auc(y_true: np.ndarray, score: np.ndarray, w: np.ndarray) -> float | None:
    """Weighted AUC with negative weights clipped to 0; None if one side has no weight."""
    wc = np.clip(w, 0.0, None)
    if wc[y_true].sum() <= 0 or wc[~y_true].sum() <= 0:
        return None
    return float(roc_auc_score(y_true, score, sample_weight=wc))


def _row_normalise(m: np.ndarray) -> np.ndarray:
    rows = m.sum(axis=1, keepdims=True)
    return np.divide(m, rows, out=np.zeros_like(m), where=rows != 0)


def classification_metrics(
    probs: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    class_names: Sequence[str],
) -> dict[str, object]:
    """Confusion matrices (rows = true class, columns = argmax class) and one-vs-rest AUCs.

    ``confusion``: weighted, each row normalised to 1; ``confusion_weighted``: the weighted sums;
    ``confusion_counts``: raw event counts. ``auc_one_vs_rest[c]``: score p_c, class c against
    all others. ``auc_class0_vs_rest``: score p_0, class 0 against all others (the signal
    selection of a multi-class network whose class 0 is the signal).
    """
    probs = np.asarray(probs, dtype=np.float64)
    y = np.asarray(y).astype(np.int64)
    w = np.asarray(weights, dtype=np.float64)
    k = len(class_names)
    if probs.ndim != 2 or probs.shape[1] != k:
        raise ValueError(f"probs must have shape (n, {k}), got {probs.shape}")
    if not (len(y) == len(w) == len(probs)):
        raise ValueError("probs, y and weights must have the same length")
    pred = probs.argmax(axis=1)
    weighted = np.zeros((k, k))
    counts = np.zeros((k, k), dtype=np.int64)
    np.add.at(weighted, (y, pred), w)
    np.add.at(counts, (y, pred), 1)
    aucs = {name: _auc(y == c, probs[:, c], w) for c, name in enumerate(class_names)}
    total = w.sum()
    return {
        "class_names": list(class_names),
        "confusion": _row_normalise(weighted).tolist(),
        "confusion_weighted": weighted.tolist(),
        "confusion_counts": counts.tolist(),
        "accuracy": float(w[pred == y].sum() / total) if total != 0 else None,
        "auc_one_vs_rest": aucs,
        "auc_class0_vs_rest": aucs[class_names[0]],
        "n_events": int(len(y)),
        "sum_weights": float(total),
        "negative_weight_fraction": _negative_fraction(w),
    }


def weighted_quantile(x: np.ndarray, q: Sequence[float], w: np.ndarray) -> np.ndarray:
    """Quantiles of the weighted distribution (midpoint CDF interpolation, w >= 0 required)."""
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cdf = np.cumsum(ws) - 0.5 * ws
    return np.interp(np.asarray(q) * ws.sum(), cdf, xs)


def regression_metrics(
    pred: np.ndarray,
    truth: np.ndarray,
    weights: np.ndarray,
    edges: Sequence[float] | None = None,
) -> dict[str, object]:
    """Bias, 68 % resolution and correlation of ``pred`` vs ``truth``; optional migration matrix.

    Relative residual r = (pred - truth) / truth. ``bias``: weighted mean of r; ``bias_median``:
    its weighted median; ``resolution``: half width of the central 68 % of r, (q84 - q16) / 2.
    ``correlation``: weighted Pearson correlation of pred and truth. With ``edges``,
    ``migration[i][j]`` is the weighted fraction of events with truth in bin i ([e_i, e_i+1))
    reconstructed in bin j; the rest of row i (pred outside the edges) is ``migration_outside[i]``.
    Events whose truth is outside the edges do not enter the matrix (use ``np.inf`` as last edge
    for an overflow bin).
    """
    pred = np.asarray(pred, dtype=np.float64).reshape(-1)
    truth = np.asarray(truth, dtype=np.float64).reshape(-1)
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if not (len(pred) == len(truth) == len(w)):
        raise ValueError("pred, truth and weights must have the same length")
    ok = truth != 0
    r, wr = (pred[ok] - truth[ok]) / truth[ok], w[ok]
    wq = np.clip(wr, 0.0, None)
    q16, q50, q84 = weighted_quantile(r, [0.16, 0.5, 0.84], wq) if wq.sum() > 0 else [np.nan] * 3
    mp, mt = np.average(pred, weights=w), np.average(truth, weights=w)
    cov = np.average((pred - mp) * (truth - mt), weights=w)
    var_p = np.average((pred - mp) ** 2, weights=w)
    var_t = np.average((truth - mt) ** 2, weights=w)
    out: dict[str, object] = {
        "bias": float(np.average(r, weights=wr)),
        "bias_median": float(q50),
        "resolution": float(0.5 * (q84 - q16)),
        "correlation": float(cov / np.sqrt(var_p * var_t)) if var_p > 0 and var_t > 0 else None,
        "n_events": int(len(pred)),
        "n_zero_truth": int((~ok).sum()),
        "negative_weight_fraction": _negative_fraction(w),
    }
    if edges is not None:
        e = np.asarray(edges, dtype=np.float64)
        if e.ndim != 1 or len(e) < 2 or np.any(np.diff(e) <= 0):
            raise ValueError("edges must be strictly increasing with at least two entries")
        nb = len(e) - 1
        ti = np.searchsorted(e, truth, side="right") - 1
        pi = np.searchsorted(e, pred, side="right") - 1
        in_t = (ti >= 0) & (ti < nb)
        in_p = (pi >= 0) & (pi < nb)
        m = np.zeros((nb, nb))
        np.add.at(m, (ti[in_t & in_p], pi[in_t & in_p]), w[in_t & in_p])
        row_tot = np.zeros(nb)
        np.add.at(row_tot, ti[in_t], w[in_t])
        frac = np.divide(m, row_tot[:, None], out=np.zeros_like(m), where=row_tot[:, None] != 0)
        outside = np.where(row_tot != 0, 1.0 - frac.sum(axis=1), 0.0)
        out.update(
            edges=[float(x) for x in e],
            migration=frac.tolist(),
            migration_outside=outside.tolist(),
            truth_bin_weights=row_tot.tolist(),
            diagonal_fraction=float(np.trace(m) / row_tot.sum()) if row_tot.sum() else None,
        )
    return out
