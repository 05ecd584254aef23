"""Tests of models/_lib: set transformer, training, ONNX export, metrics, BDT."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "models"))

import _lib  # noqa: E402
from _lib import InputSpec, SetTransformer  # noqa: E402

torch.set_num_threads(1)

SPECS = [
    InputSpec("jets", "objects", n_features=4, max_objects=12, mask="jets_mask"),
    InputSpec("leptons", "objects", n_features=3, max_objects=2, mask="leptons_mask"),
    InputSpec("met", "event", n_features=2),
]


def make_events(n: int, seed: int, max_jets: int = 12) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Three classes: the class sets the jet multiplicity scale, the pt spectrum and the b-tags."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    jets = np.zeros((n, max_jets, 4), np.float32)
    jmask = np.zeros((n, max_jets), np.float32)
    for i in range(n):
        nj = min(max_jets, rng.poisson(3 + 2 * y[i]))
        pt = rng.exponential(30.0 + 40.0 * y[i], size=nj) + 20.0
        jets[i, :nj, 0] = np.log(pt)
        jets[i, :nj, 1] = rng.normal(0, 1.5, nj)
        jets[i, :nj, 2] = rng.uniform(-np.pi, np.pi, nj)
        jets[i, :nj, 3] = rng.random(nj) < 0.2 + 0.25 * y[i]
        jmask[i, :nj] = 1.0
    leps = np.zeros((n, 2, 3), np.float32)
    lmask = np.zeros((n, 2), np.float32)
    nl = rng.integers(0, 3, size=n)
    for i in range(n):
        leps[i, : nl[i]] = rng.normal(size=(nl[i], 3))
        lmask[i, : nl[i]] = 1.0
    met = np.stack([rng.exponential(50, n), rng.uniform(-np.pi, np.pi, n)], 1).astype(np.float32)
    return {"jets": jets, "jets_mask": jmask, "leptons": leps, "leptons_mask": lmask, "met": met}, y


def fit(seed: int, n: int = 1200, epochs: int = 3, task: str = "classification", **kw):
    inputs, y = make_events(n, seed=1)
    weights = np.random.default_rng(2).uniform(0.5, 1.5, n)
    weights[::17] *= -0.3  # a few negative generator weights
    n_out = 3 if task == "classification" else 1
    model = SetTransformer(SPECS, n_outputs=n_out, task=task, d_model=16, n_heads=2, n_layers=2)
    target = y if task == "classification" else inputs["jets"][:, 0, 0] / 5.0
    res = _lib.train(
        model, inputs, target, weights, task=task, seed=seed, epochs=epochs,
        batch_size=128, lr=3e-3, class_weights="balanced" if task == "classification" else None,
        **kw,
    )  # fmt: skip
    return model, res, inputs, y


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    model, res, inputs, y = fit(seed=7)
    path = tmp_path_factory.mktemp("onnx") / "net.onnx"
    sha = _lib.export_onnx(model, SPECS, path)
    return model, res, inputs, y, path, sha


def test_spec_and_order():
    assert _lib.graph_input_names(SPECS) == ["jets", "jets_mask", "leptons", "leptons_mask", "met"]
    assert InputSpec("x", "objects", 2, max_objects=3).mask == "x_mask"
    with pytest.raises(ValueError):
        InputSpec("m", "event", 1, mask="nope")


def test_trains_above_chance(trained):
    model, res, inputs, y, _, _ = trained
    assert len(res.train_loss) == len(res.val_loss) == 3
    assert res.val_loss[res.best_epoch] == res.best_val_loss
    val = res.val_index
    probs = _lib.predict(model, {k: v[val] for k, v in inputs.items()})
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    m = _lib.classification_metrics(probs, y[val], np.ones(len(val)), ["a", "b", "c"])
    assert m["accuracy"] > 0.5  # chance is 1/3
    assert m["auc_class0_vs_rest"] > 0.75


def test_onnx_matches_torch(trained):
    model, _, inputs, _, path, _ = trained
    import onnx

    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == _lib.graph_input_names(SPECS)
    assert [o.name for o in proto.graph.output] == ["probabilities"]
    assert proto.graph.node[-1].op_type == "Softmax"
    assert _lib.check_onnx(path, inputs, _lib.predict(model, inputs), atol=1e-5) <= 1e-5
    with pytest.raises(AssertionError, match="differs from torch"):
        _lib.check_onnx(path, inputs, _lib.predict(model, inputs) + 1e-3)


def test_export_bytes_deterministic(trained, tmp_path):
    model, _, _, _, _, sha = trained
    assert _lib.export_onnx(model, SPECS, tmp_path / "again.onnx") == sha


def test_same_seed_same_onnx(trained, tmp_path):
    _, _, inputs, _, path, _ = trained
    model2, _, _, _ = fit(seed=7)
    _lib.export_onnx(model2, SPECS, tmp_path / "rerun.onnx")
    a, b = _lib.run_onnx(path, inputs), _lib.run_onnx(tmp_path / "rerun.onnx", inputs)
    assert np.abs(a - b).max() <= 1e-6


def test_same_seed_same_weights_small():
    """Fast version of the determinism check: one epoch on a few hundred events."""
    m1, r1, inputs, _ = fit(seed=3, n=300, epochs=1)
    m2, r2, _, _ = fit(seed=3, n=300, epochs=1)
    m3, _, _, _ = fit(seed=4, n=300, epochs=1)
    assert r1.train_loss == r2.train_loss and r1.val_loss == r2.val_loss
    p1, p2, p3 = (_lib.predict(m, inputs) for m in (m1, m2, m3))
    assert np.abs(p1 - p2).max() <= 1e-6
    assert np.abs(p1 - p3).max() > 1e-4


def _permute_slots(inputs, rng):
    """Shuffle the slots of every object list (real objects and padding interleaved)."""
    out = dict(inputs)
    for s in _lib.set_transformer.object_specs(SPECS):
        perm = np.stack([rng.permutation(s.max_objects) for _ in range(len(inputs[s.name]))])
        out[s.name] = np.take_along_axis(inputs[s.name], perm[:, :, None], axis=1)
        out[s.mask] = np.take_along_axis(inputs[s.mask], perm, axis=1)
    return out


def test_onnx_permutation_and_padding_invariance(trained, tmp_path):
    model, _, inputs, _, path, _ = trained
    ref = _lib.run_onnx(path, inputs)
    shuffled = _permute_slots(inputs, np.random.default_rng(5))
    assert np.abs(_lib.run_onnx(path, shuffled) - ref).max() <= 1e-5
    # garbage in padded slots must not leak
    dirty = dict(inputs)
    dirty["jets"] = inputs["jets"] + 100.0 * (1.0 - inputs["jets_mask"])[:, :, None]
    assert np.abs(_lib.run_onnx(path, dirty) - ref).max() <= 1e-5
    # the same weights exported with 8 more padded jet slots give the same outputs
    wide_specs = [InputSpec("jets", "objects", 4, max_objects=20, mask="jets_mask"), *SPECS[1:]]
    wide = SetTransformer(wide_specs, 3, "classification", d_model=16, n_heads=2, n_layers=2)
    wide.load_state_dict(model.state_dict())
    _lib.export_onnx(wide, wide_specs, tmp_path / "wide.onnx")
    padded = dict(inputs)
    padded["jets"] = np.pad(inputs["jets"], ((0, 0), (0, 8), (0, 0)))
    padded["jets_mask"] = np.pad(inputs["jets_mask"], ((0, 0), (0, 8)))
    assert np.abs(_lib.run_onnx(tmp_path / "wide.onnx", padded) - ref).max() <= 1e-5


def test_empty_object_lists_are_finite(trained):
    _, _, inputs, _, path, _ = trained
    empty = {k: np.zeros_like(v[:4]) for k, v in inputs.items()}
    out = _lib.run_onnx(path, empty)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-5)


def test_regression_export(tmp_path):
    model, res, inputs, _ = fit(seed=1, n=400, epochs=2, task="regression", patience=1)
    assert res.best_epoch >= 0
    path = tmp_path / "reg.onnx"
    _lib.export_onnx(model, SPECS, path)
    import onnx

    assert [o.name for o in onnx.load(str(path)).graph.output] == ["prediction"]
    pred = _lib.predict(model, inputs)
    assert pred.shape == (400, 1)
    _lib.check_onnx(path, inputs, pred)


def test_balanced_event_weights():
    y = np.array([0, 0, 0, 1, 2, 2])
    w = np.array([1.0, 2.0, -0.5, 3.0, 1.0, 1.0])
    ew = _lib.event_weights(y, w, "classification", "balanced")
    totals = [ew[y == c].sum() for c in range(3)]
    np.testing.assert_allclose(totals, totals[0])
    assert ew.mean() == pytest.approx(1.0)
    assert ew[2] < 0  # negative generator weights are kept by default
    with pytest.raises(ValueError):
        _lib.event_weights(np.array([0, 1]), np.array([1.0, -1.0]), "classification", "balanced")


def test_classification_metrics_perfect():
    y = np.array([0, 0, 1, 1, 2, 2, 2])
    probs = np.eye(3)[y] * 0.8 + 0.1 * (1 - np.eye(3)[y])
    w = np.array([1.0, 2.0, 1.0, 1.0, 0.5, 0.5, -0.1])
    m = _lib.classification_metrics(probs, y, w, ["sig", "b1", "b2"])
    assert m["confusion"] == np.eye(3).tolist()
    assert m["confusion_counts"] == [[2, 0, 0], [0, 2, 0], [0, 0, 3]]
    assert m["auc_class0_vs_rest"] == 1.0
    assert all(v == 1.0 for v in m["auc_one_vs_rest"].values())
    import json

    json.dumps(m)


def test_classification_metrics_confusion_rows():
    y = np.array([0, 0, 1, 1])
    probs = np.array([[0.9, 0.1], [0.4, 0.6], [0.2, 0.8], [0.3, 0.7]])
    m = _lib.classification_metrics(probs, y, np.array([3.0, 1.0, 1.0, 1.0]), ["s", "b"])
    assert m["confusion"] == [[0.75, 0.25], [0.0, 1.0]]
    assert m["confusion_weighted"] == [[3.0, 1.0], [0.0, 2.0]]


def test_regression_metrics():
    rng = np.random.default_rng(0)
    truth = rng.uniform(1, 400, 20000)
    pred = truth * (1 + 0.02 + 0.1 * rng.normal(size=truth.size))
    m = _lib.regression_metrics(pred, truth, np.ones_like(truth), edges=[0, 60, 114, 192, 282, 408])
    assert m["bias"] == pytest.approx(0.02, abs=0.005)
    assert m["resolution"] == pytest.approx(0.1, abs=0.005)
    assert m["correlation"] > 0.98
    mig = np.array(m["migration"])
    assert mig.shape == (5, 5)
    np.testing.assert_allclose(mig.sum(axis=1) + np.array(m["migration_outside"]), 1.0)
    assert np.all(np.diag(mig) > 0.7)
    exact = _lib.regression_metrics(truth, truth, np.ones_like(truth), edges=[0, 100, 500])
    assert exact["migration"] == [[1.0, 0.0], [0.0, 1.0]] and exact["resolution"] == 0.0


def test_bdt_export_matches_sklearn(tmp_path):
    from _lib.bdt import check_bdt, export_bdt, train_bdt

    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 5))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (X[:, 3] > 1)
    w = np.where(np.arange(1500) % 13 == 0, -0.2, 1.0)
    model = train_bdt(X, y, w, seed=3, n_estimators=30)
    path = tmp_path / "bdt.onnx"
    sha = export_bdt(model, 5, path, input_name="features", check_inputs=X)
    assert check_bdt(path, model, X) <= 1e-5
    import onnx

    proto = onnx.load(str(path))
    assert [i.name for i in proto.graph.input] == ["features"]
    assert "probabilities" in [o.name for o in proto.graph.output]
    assert export_bdt(model, 5, tmp_path / "again.onnx") == sha
    again = train_bdt(X, y, w, seed=3, n_estimators=30)
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_objects_only_model_exports(tmp_path):
    """Without event-level inputs the event token is a learned constant; export still works."""
    specs = [InputSpec("photons", "objects", n_features=3, max_objects=4)]
    torch.manual_seed(0)
    model = SetTransformer(specs, n_outputs=2, task="regression").eval()
    rng = np.random.default_rng(0)
    mask = (rng.random((50, 4)) < 0.6).astype(np.float32)
    inputs = {"photons": (rng.normal(size=(50, 4, 3)) * mask[:, :, None]).astype(np.float32)}
    inputs["photons_mask"] = mask
    path = tmp_path / "photons.onnx"
    _lib.export_onnx(model, specs, path)
    assert _lib.check_onnx(path, inputs, _lib.predict(model, inputs)) <= 1e-5
