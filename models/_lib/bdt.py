"""Boosted decision trees for the BDT-based analyses, exported to ONNX with skl2onnx.

Why ``GradientBoostingClassifier`` and not ``HistGradientBoostingClassifier``: with the pinned
scikit-learn 1.9 / skl2onnx 1.20, converting a ``HistGradientBoostingClassifier`` fails inside
skl2onnx (it passes a list of booleans as an integer attribute of ``TreeEnsembleClassifier``),
while ``GradientBoostingClassifier`` converts to a single ``TreeEnsembleClassifier`` node that
onnxruntime evaluates to within ~1e-7 of ``predict_proba``. sklearn trees split float32 features
(thresholds are float32-representable), so the features are cast to float32 before the fit: the
ONNX file, which takes float32, then takes exactly the same branches.

Negative per-event weights are passed to sklearn as given (it accepts them); class balancing is
the caller's choice (``models._lib.train.event_weights`` computes the same balanced weights as the
network training).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import onnx
from sklearn.ensemble import GradientBoostingClassifier


def train_bdt(
    X: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    *,
    seed: int,
    n_estimators: int = 200,
    max_depth: int = 3,
    learning_rate: float = 0.1,
    subsample: float = 1.0,
) -> GradientBoostingClassifier:
    """Fit a gradient-boosted classifier; deterministic for a given ``seed`` (``random_state``)."""
    X32 = np.asarray(X, dtype=np.float32)
    if X32.ndim != 2:
        raise ValueError(f"X must be (n, n_features), got {X32.shape}")
    model = GradientBoostingClassifier(
        n_estimators=n_estimators,
        max_depth=max_depth,
        learning_rate=learning_rate,
        subsample=subsample,
        random_state=seed,
    )
    model.fit(X32, np.asarray(y).astype(np.int64), sample_weight=np.asarray(weights, np.float64))
    return model


def export_bdt(
    model: GradientBoostingClassifier,
    n_features: int,
    path: str | Path,
    input_name: str = "features",
    *,
    check_inputs: np.ndarray | None = None,
    atol: float = 1e-5,
) -> str:
    """Write the classifier as ONNX; returns the sha256 hex of the written file.

    Input ``input_name`` (n, n_features) float32; outputs ``"label"`` (int64 argmax) and
    ``"probabilities"`` (n, n_classes) float32, a plain tensor (ZipMap off) so analysis code reads
    it like the network outputs. The file is checked against ``predict_proba`` on
    ``check_inputs`` (default: 256 standard-normal rows from a fixed seed) within ``atol``.
    """
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    proto = convert_sklearn(
        model,
        initial_types=[(input_name, FloatTensorType([None, n_features]))],
        options={id(model): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    outputs = [o.name for o in proto.graph.output]
    if outputs != ["label", "probabilities"]:
        raise RuntimeError(f"unexpected skl2onnx outputs {outputs}")
    proto.doc_string = ""
    proto.graph.name = f"bdt_{input_name}"  # skl2onnx names the graph with a random uuid
    onnx.checker.check_model(proto)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(proto.SerializeToString(deterministic=True))
    if check_inputs is None:
        check_inputs = np.random.default_rng(0).normal(size=(256, n_features))
    check_bdt(path, model, check_inputs, input_name=input_name, atol=atol)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_bdt(
    path: str | Path,
    model: GradientBoostingClassifier,
    X: np.ndarray,
    *,
    input_name: str = "features",
    atol: float = 1e-5,
) -> float:
    """onnxruntime probabilities vs ``predict_proba``; returns max |diff|, raises above ``atol``."""
    import onnxruntime as ort

    X32 = np.asarray(X, dtype=np.float32)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = sess.run(["probabilities"], {input_name: X32})[0]
    ref = model.predict_proba(X32)
    worst = float(np.abs(got - ref).max()) if len(X32) else 0.0
    if got.shape != ref.shape or worst > atol:
        raise AssertionError(
            f"{path}: ONNX BDT differs from sklearn predict_proba by {worst:.3g} > {atol:g}"
        )
    return worst
