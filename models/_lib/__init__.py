"""Training library for the recipes in ``models/``: set transformer, training loop, ONNX export,
metrics and BDTs.

Why it lives outside the ``hepreint`` package: it needs torch (the ``[train]`` extra), which the
analysis runtime never imports; the runtime only evaluates the ONNX files with onnxruntime.
Recipes import it as ``_lib`` with ``models/`` on ``sys.path`` (``models`` is not a package).
The BDT part (``bdt``) needs scikit-learn and skl2onnx only, so it is not imported here.
"""

from __future__ import annotations

from .export import check_onnx, export_onnx, run_onnx, sha256_file
from .metrics import classification_metrics, regression_metrics
from .set_transformer import (
    InputSpec,
    SetTransformer,
    graph_input_names,
    input_shapes,
    to_tensors,
    validate_inputs,
)
from .train import TrainResult, event_weights, predict, train

__all__ = [
    "InputSpec",
    "SetTransformer",
    "TrainResult",
    "check_onnx",
    "classification_metrics",
    "event_weights",
    "export_onnx",
    "graph_input_names",
    "input_shapes",
    "predict",
    "regression_metrics",
    "run_onnx",
    "sha256_file",
    "to_tensors",
    "train",
    "validate_inputs",
]
