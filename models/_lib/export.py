"""ONNX export of a trained ``SetTransformer`` and the onnxruntime cross-check.

Why the TorchScript exporter (``dynamo=False``): it traces the plain tensor graph into standard
opset-17 operators with the input names we give it, without the optional ``onnxscript``
dependency, and with our data-independent ``forward`` the trace is exact for every batch size.
The batch axis is dynamic; the object axes are static (``max_objects`` is part of the interface
the analysis code fills). The input specs and task are written into ``metadata_props`` so that a
shipped file documents its own inputs.

Why the file is re-serialised through ``onnx``: the bytes then depend only on the graph and the
weights (no exporter-side temporary state), which is what makes a rebuilt file comparable with the
shipped one by its sha256.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch

from .set_transformer import InputSpec, SetTransformer, graph_input_names, input_shapes


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _dummy_inputs(specs: list[InputSpec], n: int = 2) -> tuple[torch.Tensor, ...]:
    """Tracing inputs: real first object, padded rest (values are irrelevant to the trace)."""
    shapes = input_shapes(specs)
    masks = {s.mask for s in specs if s.kind == "objects"}
    out = []
    for name in graph_input_names(specs):
        t = torch.zeros((n, *shapes[name]), dtype=torch.float32)
        if name in masks:
            t[:, 0] = 1.0
        out.append(t)
    return tuple(out)


def export_onnx(
    model: SetTransformer,
    specs: list[InputSpec],
    path: str | Path,
    *,
    opset: int = 17,
    metadata: dict[str, str] | None = None,
) -> str:
    """Write ``model`` as ONNX to ``path``; returns the sha256 hex digest of the written file.

    Graph inputs are ``graph_input_names(specs)`` in that order; the single output is
    ``"probabilities"`` (classification, softmax included) or ``"prediction"`` (regression).
    """
    if [s.to_dict() for s in specs] != [s.to_dict() for s in model.specs]:
        raise ValueError("specs differ from the ones the model was built with")
    model.eval()
    names = graph_input_names(specs)
    out_name = model.output_name
    dynamic = {k: {0: "batch"} for k in [*names, out_name]}
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        # dynamo=False is deliberate (see the module docstring): silence its deprecation notice
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            _dummy_inputs(specs),
            buf,  # type: ignore[arg-type]  # file-like objects are accepted
            input_names=names,
            output_names=[out_name],
            dynamic_axes=dynamic,
            opset_version=opset,
            do_constant_folding=True,
            dynamo=False,
        )
    proto = onnx.load_from_string(buf.getvalue())
    props = {
        "hepreint_inputs": json.dumps([s.to_dict() for s in specs], sort_keys=True),
        "hepreint_input_order": json.dumps(names),
        "hepreint_task": model.task,
        "hepreint_hyperparameters": json.dumps(model.hyper, sort_keys=True),
        **(metadata or {}),
    }
    del proto.metadata_props[:]
    for k in sorted(props):
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, props[k]
    onnx.checker.check_model(proto)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(proto.SerializeToString(deterministic=True))
    return sha256_file(path)


def run_onnx(
    path: str | Path, inputs: dict[str, np.ndarray], *, threads: int = 1, output: str | None = None
) -> np.ndarray:
    """Output ``output`` (default: the first) of the ONNX file on ``inputs`` (only the graph's
    own inputs are passed); a BDT's first output is its label, its ``probabilities`` second."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    feed = {i.name: inputs[i.name] for i in sess.get_inputs()}
    return np.asarray(sess.run(None if output is None else [output], feed)[0])


def check_onnx(
    path: str | Path,
    inputs: dict[str, np.ndarray],
    expected: np.ndarray,
    atol: float = 1e-5,
) -> float:
    """Compare onnxruntime on ``inputs`` with ``expected`` (the torch output); returns max |diff|.

    Raises ``AssertionError`` naming the worst event if any element differs by more than ``atol``.
    """
    got = run_onnx(path, inputs)
    expected = np.asarray(expected)
    if got.shape != expected.shape:
        raise AssertionError(f"{path}: onnxruntime output shape {got.shape} != {expected.shape}")
    diff = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    worst = float(diff.max()) if diff.size else 0.0
    if not np.isfinite(got).all() or worst > atol:
        ev = int(np.unravel_index(np.nanargmax(diff), diff.shape)[0]) if diff.size else -1
        raise AssertionError(
            f"{path}: onnxruntime differs from torch by {worst:.3g} > atol {atol:g} "
            f"(worst event {ev}: onnx {got[ev].tolist()} vs torch {expected[ev].tolist()})"
        )
    return worst
