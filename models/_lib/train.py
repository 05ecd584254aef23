"""Deterministic, weighted training loop for the ``SetTransformer`` recipes.

Why deterministic: a preserved network must be rebuildable from its recipe; two runs with the
same seed on CPU give the same weights, so a rebuilt ONNX file can be compared with the shipped
one. The result depends only on (data, seed, hyper-parameters): ``train`` seeds torch, re-draws
the model's initial weights, splits train/validation and shuffles with a numpy ``Generator``
built from the seed, and turns on ``torch.use_deterministic_algorithms``. The caller sets the
thread count (``torch.set_num_threads``); results on 1 and 2 threads may differ in the last bits.

Weights: per-event (generator) weights, possibly negative, are used as given (``negative_weights``
changes that) and rescaled so that their training-set mean is 1, so ``lr`` means the same for
every sample. For classification with ``class_weights="balanced"`` each class is then rescaled so
that all classes have the same total weight. Loss per batch is ``mean(w_i * loss_i)``;
validation loss is ``sum(w_i * loss_i) / sum(w_i)`` over the whole validation set.

Classification loss: cross-entropy on ``model.logits`` (log-softmax computed internally, stable),
while ``model.forward`` keeps the softmax so that the exported graph ends with it. Regression
loss: weighted Huber (``loss="huber"``, quadratic below ``huber_delta``, linear above, robust to
the tails of a resolution function) or ``loss="mse"``, on the target as the recipe passes it
(e.g. log(pT) or pT/100: the scale of the target sets where the Huber kink is).
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from .set_transformer import SetTransformer, Task, graph_input_names, validate_inputs


@dataclass
class TrainResult:
    """Loss history, timings and the held-out indices a recipe needs to report and evaluate."""

    train_loss: list[float]
    val_loss: list[float]
    best_epoch: int
    best_val_loss: float
    epoch_seconds: list[float]
    train_events_per_second: list[float]
    n_train: int
    n_val: int
    seed: int
    val_index: np.ndarray = field(repr=False)

    def to_dict(self) -> dict[str, object]:
        """JSON-serialisable summary (without the validation indices)."""
        d = asdict(self)
        d.pop("val_index")
        return d


def event_weights(
    target: np.ndarray,
    weights: np.ndarray,
    task: Task,
    class_weights: Literal["balanced"] | None,
    negative_weights: Literal["keep", "abs", "zero"] = "keep",
) -> np.ndarray:
    """Per-event training weights: (optionally treated) generator weights x class balance.

    Returned weights have mean 1 over the events given; with ``"balanced"`` every class present
    has the same total weight. Raises if a class has non-positive total weight, because balancing
    it would flip or blow up its contribution.
    """
    w = np.asarray(weights, dtype=np.float64).copy()
    if negative_weights == "abs":
        w = np.abs(w)
    elif negative_weights == "zero":
        w = np.clip(w, 0.0, None)
    elif negative_weights != "keep":
        raise ValueError(f"unknown negative_weights {negative_weights!r}")
    if task == "classification" and class_weights == "balanced":
        y = np.asarray(target).astype(np.int64)
        classes = np.unique(y)
        for c in classes:
            total = w[y == c].sum()
            if total <= 0:
                raise ValueError(f"class {c} has total weight {total} <= 0: cannot balance it")
            w[y == c] *= 1.0 / total
    elif class_weights not in (None, "balanced"):
        raise ValueError(f"unknown class_weights {class_weights!r}")
    mean = w.mean()
    if not mean > 0:
        raise ValueError(f"mean training weight {mean} is not positive")
    return w / mean


def _loss(
    model: SetTransformer,
    tensors: list[torch.Tensor],
    target: torch.Tensor,
    loss: str,
    huber_delta: float,
) -> torch.Tensor:
    """Per-event loss (unreduced)."""
    out = model.logits(*tensors)
    if model.task == "classification":
        return F.cross_entropy(out, target, reduction="none")
    if target.ndim == 1:
        target = target.unsqueeze(1)
    if loss == "huber":
        per = F.huber_loss(out, target, reduction="none", delta=huber_delta)
    else:
        per = F.mse_loss(out, target, reduction="none")
    return per.mean(dim=1)


def _take(arrays: list[torch.Tensor], idx: torch.Tensor) -> list[torch.Tensor]:
    return [a.index_select(0, idx) for a in arrays]


def train(
    model: SetTransformer,
    inputs: dict[str, np.ndarray],
    target: np.ndarray,
    weights: np.ndarray,
    *,
    task: Task,
    seed: int,
    epochs: int,
    batch_size: int = 256,
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    val_fraction: float = 0.2,
    class_weights: Literal["balanced"] | None = None,
    patience: int | None = None,
    loss: Literal["huber", "mse"] = "huber",
    huber_delta: float = 1.0,
    negative_weights: Literal["keep", "abs", "zero"] = "keep",
    normalise: bool = True,
    reinitialise: bool = True,
) -> TrainResult:
    """Train ``model`` in place with AdamW; the best-validation-loss weights are restored.

    ``target``: class indices ``(n,)`` for classification, ``(n,)`` or ``(n, n_outputs)`` for
    regression. ``patience``: stop after that many epochs without a validation improvement
    (``None``: run all epochs). ``normalise``: fit the in-graph input standardisation on the
    training split. ``reinitialise``: redraw the initial weights from ``seed`` (turn off only to
    fine-tune; then the result also depends on how the model was built).
    """
    if task != model.task:
        raise ValueError(f"task {task!r} differs from the model's {model.task!r}")
    if loss not in ("huber", "mse"):
        raise ValueError(f"unknown loss {loss!r}")
    n = validate_inputs(model.specs, inputs)
    if len(target) != n or len(weights) != n:
        raise ValueError("target and weights must have one entry per event")
    previous_det = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        torch.manual_seed(seed)
        rng = np.random.default_rng(seed)
        if reinitialise:
            model.reset_parameters()
        perm = rng.permutation(n)
        n_val = int(round(val_fraction * n))
        if n_val < 1 or n_val >= n:
            raise ValueError(f"val_fraction {val_fraction} leaves no train or no validation event")
        val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        if normalise:
            model.fit_normalisation({k: v[train_idx] for k, v in inputs.items()})
        all_t = [
            torch.from_numpy(np.ascontiguousarray(inputs[k]))
            for k in graph_input_names(model.specs)
        ]
        if task == "classification":
            y_all = torch.from_numpy(np.asarray(target).astype(np.int64))
            n_classes = int(y_all.max()) + 1
            if n_classes > model.n_outputs:
                raise ValueError(f"target has {n_classes} classes, model has {model.n_outputs}")
        else:
            y_all = torch.from_numpy(np.asarray(target, dtype=np.float32))
        w_np = np.zeros(n)
        w_np[train_idx] = event_weights(
            np.asarray(target)[train_idx], weights[train_idx], task, class_weights, negative_weights
        )
        w_np[val_idx] = event_weights(
            np.asarray(target)[val_idx], weights[val_idx], task, class_weights, negative_weights
        )
        w_all = torch.from_numpy(w_np.astype(np.float32))
        val_t = torch.from_numpy(val_idx)
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
        history_tr: list[float] = []
        history_val: list[float] = []
        secs: list[float] = []
        best = (float("inf"), -1, copy.deepcopy(model.state_dict()))
        stale = 0
        for _epoch in range(epochs):
            t0 = time.perf_counter()
            model.train()
            order = torch.from_numpy(train_idx[rng.permutation(len(train_idx))])
            total, total_w = 0.0, 0.0
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                w = w_all.index_select(0, idx)
                per = _loss(model, _take(all_t, idx), y_all.index_select(0, idx), loss, huber_delta)
                batch_loss = (w * per).mean()
                opt.zero_grad(set_to_none=True)
                batch_loss.backward()
                opt.step()
                total += float((w * per).sum().detach())
                total_w += float(w.sum())
            secs.append(time.perf_counter() - t0)
            history_tr.append(total / total_w)
            history_val.append(
                _evaluate(model, all_t, y_all, w_all, val_t, batch_size, loss, huber_delta)
            )
            if history_val[-1] < best[0]:
                best = (history_val[-1], len(history_val) - 1, copy.deepcopy(model.state_dict()))
                stale = 0
            else:
                stale += 1
                if patience is not None and stale >= patience:
                    break
        model.load_state_dict(best[2])
        model.eval()
    finally:
        torch.use_deterministic_algorithms(previous_det)
    return TrainResult(
        train_loss=history_tr,
        val_loss=history_val,
        best_epoch=best[1],
        best_val_loss=best[0],
        epoch_seconds=secs,
        train_events_per_second=[len(train_idx) / s for s in secs],
        n_train=len(train_idx),
        n_val=n_val,
        seed=seed,
        val_index=val_idx,
    )


@torch.no_grad()
def _evaluate(
    model: SetTransformer,
    all_t: list[torch.Tensor],
    y_all: torch.Tensor,
    w_all: torch.Tensor,
    idx_all: torch.Tensor,
    batch_size: int,
    loss: str,
    huber_delta: float,
) -> float:
    model.eval()
    total, total_w = 0.0, 0.0
    for start in range(0, len(idx_all), 4 * batch_size):
        idx = idx_all[start : start + 4 * batch_size]
        w = w_all.index_select(0, idx)
        per = _loss(model, _take(all_t, idx), y_all.index_select(0, idx), loss, huber_delta)
        total += float((w * per).sum())
        total_w += float(w.sum())
    return total / total_w


@torch.no_grad()
def predict(
    model: SetTransformer, inputs: dict[str, np.ndarray], batch_size: int = 4096
) -> np.ndarray:
    """``model.forward`` (probabilities or regression output) as float32 numpy, batch by batch."""
    model.eval()
    n = validate_inputs(model.specs, inputs)
    names = graph_input_names(model.specs)
    out = []
    for start in range(0, n, batch_size):
        ts = [
            torch.from_numpy(np.ascontiguousarray(inputs[k][start : start + batch_size]))
            for k in names
        ]
        out.append(model(*ts).numpy())
    if not out:
        return np.zeros((0, model.n_outputs), dtype=np.float32)
    return np.concatenate(out).astype(np.float32)
