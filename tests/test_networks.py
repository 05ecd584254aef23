"""The ONNX contract: cards checked at load, batched inference with folds, outputs in expressions.

The graphs here are built by hand with onnx.helper (a masked sum over jets, a linear layer, a
softmax), so the expected outputs can be recomputed with numpy and every check of the card can
be broken on purpose.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from hepreint import NetworkError, RunOptions, SpecError, load_analysis, run  # noqa: E402
from hepreint.engine.processor import Processor  # noqa: E402
from hepreint.io import read_events  # noqa: E402

MAXJ = 4
W0 = np.array([[0.02, -0.01, 0.0], [0.3, 0.1, -0.2], [0.01, 0.0, -0.01]], dtype=np.float32)
W1 = -W0


def _graph(path: Path, w: np.ndarray, *, max_jets: int = MAXJ) -> str:
    """probabilities = softmax([sum_j mask*jets, event] @ w), jets (n, max_jets, 2)."""
    nodes = [
        helper.make_node("Unsqueeze", ["jets_mask", "ax2"], ["m3"]),
        helper.make_node("Mul", ["jets", "m3"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "ax1"], ["summed"], keepdims=0),
        helper.make_node("Concat", ["summed", "event"], ["feat"], axis=1),
        helper.make_node("MatMul", ["feat", "W"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    inits = [
        helper.make_tensor("W", TensorProto.FLOAT, w.shape, w.flatten().tolist()),
        helper.make_tensor("ax1", TensorProto.INT64, [1], [1]),
        helper.make_tensor("ax2", TensorProto.INT64, [1], [2]),
    ]
    inputs = [
        helper.make_tensor_value_info("jets", TensorProto.FLOAT, ["batch", max_jets, 2]),
        helper.make_tensor_value_info("jets_mask", TensorProto.FLOAT, ["batch", max_jets]),
        helper.make_tensor_value_info("event", TensorProto.FLOAT, ["batch", 1]),
    ]
    out = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3])]
    model = helper.make_model(
        helper.make_graph(nodes, "toy", inputs, out, inits),
        opset_imports=[helper.make_opsetid("", 17)],
    )
    model.ir_version = 8
    onnx.save(model, str(path))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _reference(jets: np.ndarray, mask: np.ndarray, event: np.ndarray, w: np.ndarray) -> Any:
    feat = np.concatenate([(jets * mask[..., None]).sum(axis=1), event], axis=1) @ w
    e = np.exp(feat - feat.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


CASE = {
    "jets": [[[50.0, 1.0], [30.0, 0.0], [0.0, 0.0], [0.0, 0.0]]],
    "jets_mask": [[1.0, 1.0, 0.0, 0.0]],
    "event": [[40.0]],
}


def _card(folds: int, **over: Any) -> dict[str, Any]:
    ws = [W0, W1][:folds]
    cases = []
    for f, w in enumerate(ws):
        arr = {k: np.asarray(v, dtype=np.float32) for k, v in CASE.items()}
        probs = _reference(arr["jets"], arr["jets_mask"], arr["event"], w)
        cases.append({"fold": f, "inputs": CASE, "outputs": {"probabilities": probs.tolist()}})
    card = {
        "schema": "hepreint-network/1",
        "name": "toy",
        "task": "classification",
        "surrogate": True,
        "surrogate_note": "a hand-built test graph",
        "onnx": [],
        "folds": {"k": folds, "key": "event_number"},
        "inputs": [
            {"name": "jets", "kind": "objects", "collection": "jets", "max_objects": MAXJ,
             "mask": "jets_mask", "features": [
                 {"name": "pt", "expr": "pt", "unit": "GeV"},
                 {"name": "b", "expr": "btag70"}]},
            {"name": "event", "kind": "event", "features": [
                {"name": "met", "expr": "met.pt", "unit": "GeV", "default": 0}]},
        ],  # fmt: skip
        "outputs": {"tensor": "probabilities", "names": ["sig", "bkg1", "bkg2"],
                    "activation": "softmax"},
        "discriminants": {"D": {"expr": "log(sig / (bkg1 + bkg2))"}},
        "test_vectors": {"atol": 1e-5, "cases": cases},
        "provenance": {"recipe": "tests/test_networks.py", "command": "pytest", "samples": [],
                       "software": {}, "date": "2026-12-02"},
    }  # fmt: skip
    card.update(over)
    return card


SPEC = """
schema: hepreint-analysis/1
metadata: {name: toynet, title: toy, experiment: ATLAS, arxiv: "0000.00000", sqrt_s_TeV: 13,
           luminosity_fb: 1, status: test, description: test, approximations: [], sources: {}}
objects:
  jets: {type: jet, algorithm: antikt, R: 0.4, pt_min: 25, abs_eta_max: 2.5, source: test}
  met: {type: met, source: test}
networks:
  toy: {card: networks/toy.yaml, source: a test network}
variables:
  p_sig: "toy.sig"
  d_sig: "toy.D"
  cls: "argmax(toy)"
cuts:
  sig_class: "cls == 0"
regions:
  signal_like: {cuts: [sig_class]}
"""


def _analysis(tmp_path: Path, folds: int = 2, spec: str = SPEC, **over: Any) -> Path:
    d = tmp_path / "toynet"
    (d / "networks").mkdir(parents=True, exist_ok=True)
    card = _card(folds, **over)
    if not card["onnx"]:
        for f, w in enumerate([W0, W1][:folds]):
            sha = _graph(d / "networks" / f"toy.fold{f}.onnx", w)
            card["onnx"].append({"file": f"toy.fold{f}.onnx", "sha256": sha})
    (d / "networks" / "toy.yaml").write_text(yaml.safe_dump(card, sort_keys=False))
    (d / "analysis.yaml").write_text(spec)
    return d


def test_outputs_equal_numpy_per_fold(tmp_path: Path, example_sample: Path) -> None:
    a = load_analysis(_analysis(tmp_path))
    assert set(a.networks) == {"toy"} and a.networks["toy"].folds == 2
    proc = Processor(a.with_detector("truth"))
    batch = next(iter(read_events([example_sample], batch_size=40, reader="fast")))
    values = proc.evaluate(batch)
    jets, met = values["jets"], values["met"]
    import awkward as ak

    pj = ak.to_numpy(ak.fill_none(ak.pad_none(jets.pt, MAXJ, clip=True), 0.0))
    bj = ak.to_numpy(ak.fill_none(ak.pad_none(jets.btag70 * 1.0, MAXJ, clip=True), 0.0))
    nj = np.minimum(np.asarray(ak.num(jets)), MAXJ)
    mask = (np.arange(MAXJ)[None] < nj[:, None]).astype(float)
    feats = np.stack([pj, bj], axis=-1) * mask[..., None]
    ev = ak.to_numpy(ak.fill_none(met.pt, 0.0))[:, None]
    fold = batch.event_numbers % 2
    want = np.where(
        (fold == 0)[:, None],
        _reference(feats, mask, ev, W0.astype(np.float64)),
        _reference(feats, mask, ev, W1.astype(np.float64)),
    )
    assert np.allclose(values["p_sig"], want[:, 0], atol=1e-5)
    assert np.array_equal(values["cls"], np.argmax(values["toy"].scores, axis=1))
    d = np.log(want[:, 0] / (want[:, 1] + want[:, 2]))
    assert np.allclose(values["d_sig"], d, atol=1e-4)
    assert len(set(fold)) == 2  # both folds served


def test_yields_do_not_depend_on_batch_size(tmp_path: Path, example_sample: Path) -> None:
    d = _analysis(tmp_path)
    opts = {"detectors": ("truth",), "max_events": 150}
    a = run(d, [example_sample], RunOptions(batch_size=37, **opts))
    b = run(d, [example_sample], RunOptions(batch_size=150, **opts))
    ya, yb = a.yields.regions["signal_like"], b.yields.regions["signal_like"]
    assert ya.sumw == yb.sumw
    assert 0 < ya.n[-1] < ya.n[0]


def _error(tmp_path: Path, **kw: Any) -> str:
    with pytest.raises((NetworkError, SpecError)) as exc:
        load_analysis(_analysis(tmp_path, **kw))
    msg = str(exc.value)
    assert "toy.yaml" in msg.splitlines()[0]
    return msg


def test_tampered_onnx_is_refused(tmp_path: Path) -> None:
    d = _analysis(tmp_path)
    f = d / "networks" / "toy.fold1.onnx"
    _graph(f, W0 * 1.01)  # same graph, other weights: sha256 differs
    with pytest.raises(NetworkError, match=r"toy.fold1.onnx has sha256 .* the file was changed"):
        load_analysis(d)


def test_graph_shape_differs_from_card(tmp_path: Path) -> None:
    d = tmp_path / "toynet"
    (d / "networks").mkdir(parents=True)
    sha = _graph(d / "networks" / "toy.fold0.onnx", W0, max_jets=5)
    onnx_ = [{"file": "toy.fold0.onnx", "sha256": sha}]
    msg = _error(tmp_path, folds=1, onnx=onnx_)
    assert "input jets has shape ['batch', 5, 2], the card gives ['batch', 4, 2]" in msg


def test_failing_test_vector(tmp_path: Path) -> None:
    card = _card(1)
    card["test_vectors"]["cases"][0]["outputs"]["probabilities"][0][0] += 0.01
    msg = _error(tmp_path, folds=1, test_vectors=card["test_vectors"])
    assert "test vector 0 (fold 0) fails" in msg and "rerun the recipe" in msg


def test_broken_card_schema(tmp_path: Path) -> None:
    msg = _error(tmp_path, outputs={"tensor": "probabilities", "names": ["a", "b", "c"]})
    assert "activation" in msg


def test_card_input_name_missing_from_graph(tmp_path: Path) -> None:
    card = _card(1)
    card["inputs"][1]["name"] = "evt"
    msg = _error(tmp_path, folds=1, inputs=card["inputs"])
    assert "card only: ['evt']" in msg and "graph only: ['event']" in msg


def test_fold_count_must_match_files(tmp_path: Path) -> None:
    d = _analysis(tmp_path, folds=2)
    card = yaml.safe_load((d / "networks" / "toy.yaml").read_text())
    card["onnx"] = card["onnx"][:1]
    (d / "networks" / "toy.yaml").write_text(yaml.safe_dump(card))
    with pytest.raises(NetworkError, match="folds.k is 2 but onnx lists 1 file"):
        load_analysis(d)


def test_unknown_output_in_analysis_expression(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="toy has no output 'sgi'; did you mean 'sig'"):
        load_analysis(_analysis(tmp_path, spec=SPEC.replace("toy.sig", "toy.sgi")))


def test_missing_onnx_file(tmp_path: Path) -> None:
    d = _analysis(tmp_path)
    (d / "networks" / "toy.fold0.onnx").unlink()
    with pytest.raises(NetworkError, match="ONNX file toy.fold0.onnx is missing"):
        load_analysis(d)


def test_objects_only_needs_no_network(tmp_path: Path) -> None:
    d = _analysis(tmp_path)
    (d / "networks" / "toy.fold0.onnx").unlink()
    a = load_analysis(d, objects_only=True)
    assert not a.variables and not a.networks and [o.name for o in a.objects] == ["jets", "met"]
