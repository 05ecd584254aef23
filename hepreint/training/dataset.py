"""Training samples for a network, made by hepreint itself: the recipes' only way to features.

A recipe hands generated files to :func:`collect`, which reads them with the runner's readers,
builds the analysis' collections with the runner's stages (objects, detector, overlap removal,
derived collections: the analysis loaded ``objects_only``, so a network that does not exist yet
is not needed) and turns them into tensors with :func:`~hepreint.networks.build_inputs`, the
function the runner's ``networks`` stage calls. What a network trains on and what it sees in a
run are therefore made by the same code, from the same card.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np

from hepreint.analysis.expr import Compiled, Scope, compile_expression
from hepreint.analysis.spec import load_analysis
from hepreint.engine.processor import Processor
from hepreint.io.stream import read_events
from hepreint.networks.card import NetworkCard, parse_card


@dataclass
class Dataset:
    """Rows = selected events; ``inputs`` raw (unscaled) tensors by graph input name."""

    inputs: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    weights: np.ndarray
    event_numbers: np.ndarray
    sample: np.ndarray  # index of the file each event came from
    files: list[str] = field(default_factory=list)
    read: list[int] = field(default_factory=list)  # events read per file

    def __len__(self) -> int:
        return len(self.weights)

    def take(self, rows: np.ndarray) -> Dataset:
        x = {k: v[rows] for k, v in self.inputs.items()}
        y = {k: v[rows] for k, v in self.labels.items()}
        return Dataset(x, y, self.weights[rows], self.event_numbers[rows], self.sample[rows],
                       self.files, self.read)  # fmt: skip

    @staticmethod
    def concatenate(parts: Sequence[Dataset]) -> Dataset:
        first = parts[0]
        return Dataset(
            {k: np.concatenate([p.inputs[k] for p in parts]) for k in first.inputs},
            {k: np.concatenate([p.labels[k] for p in parts]) for k in first.labels},
            np.concatenate([p.weights for p in parts]),
            np.concatenate([p.event_numbers for p in parts]),
            np.concatenate([p.sample for p in parts]),
            first.files, first.read,
        )  # fmt: skip


def definition(
    path: str | Path, analysis_dir: str | Path, data: dict[str, Any] | None = None
) -> NetworkCard:
    """A card from a recipe's definition (inputs and outputs only: no ONNX file yet), compiled
    against the analysis' collections and parameters; ``data`` replaces the file's content
    (a definition with the fitted scaling constants)."""
    import yaml

    a = load_analysis(analysis_dir, objects_only=True)
    if data is None:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    k = int((data.get("folds") or {}).get("k", 1))
    filled = {
        "onnx": [{"file": f"placeholder{i}.onnx", "sha256": "0" * 64} for i in range(k)],
        "test_vectors": {"atol": 1.0, "cases": [{"fold": 0, "inputs": {}, "outputs": {}}]},
        "provenance": {"recipe": "", "command": "", "samples": [], "software": {}, "date": ""},
        **data,
    }
    names = {o.name for o in a.objects}
    return parse_card(path, names, a.parameters, data=filled)


def collect(
    analysis_dir: str | Path,
    files: Sequence[str | Path],
    card: NetworkCard,
    *,
    selection: str,
    labels: Mapping[str, str],
    detector: str,
    seed: int,
    batch_size: int = 1000,
    max_events: int | None = None,
    params_for: ParamsFor | None = None,
) -> Dataset:
    """Raw network inputs and per-event ``labels`` (expressions, e.g. ``hf[0].hf_class``) of the
    events of ``files`` passing ``selection`` (an expression over the collections).

    ``params_for(file_index, event_numbers)`` gives per-event values of analysis parameters (a
    parametrised network: each signal sample at its own mass point, background events at points
    drawn for them); a function of the event numbers, so the draw does not depend on batching."""
    a = load_analysis(analysis_dir, objects_only=True).with_detector(detector)
    names = {o.name for o in a.objects} | set(a.parameters) | set(a.triggers)
    sel = compile_expression(selection, names)
    lab = {k: compile_expression(v, names) for k, v in labels.items()}
    proc = Processor(a, seed=seed)
    parts, read = [], []
    for i, f in enumerate(files):
        n_read = 0
        for batch in read_events([f], batch_size=batch_size, max_events=max_events,
                                 reader="fast"):  # fmt: skip
            n_read += len(batch)
            values = proc.evaluate(batch, until="derived")
            if params_for is not None:
                values = {**values, **params_for(i, np.asarray(batch.event_numbers))}
            keep = _mask(sel, values, len(batch))
            if not keep.any():
                continue
            x = {k: v[keep] for k, v in _inputs(card, values, len(batch)).items()}
            y = {k: _column(c, values, len(batch))[keep] for k, c in lab.items()}
            parts.append(Dataset(x, y, np.asarray(batch.weights[keep, 0], dtype=np.float64),
                                 np.asarray(batch.event_numbers)[keep],
                                 np.full(int(keep.sum()), i)))  # fmt: skip
        read.append(n_read)
    if not parts:
        raise ValueError(f"no event of {[str(f) for f in files]} passes {selection!r}")
    out = Dataset.concatenate(parts)
    out.files, out.read = [str(f) for f in files], read
    return out


#: per-event parameter values for the events of one file: (file index, event numbers) -> arrays
ParamsFor = Callable[[int, np.ndarray], Mapping[str, np.ndarray]]


def _inputs(card: NetworkCard, values: dict[str, Any], n: int) -> dict[str, np.ndarray]:
    from hepreint.networks.features import build_inputs

    return build_inputs(card, values, n, scaled=False)


def _column(c: Compiled, values: dict[str, Any], n: int) -> np.ndarray:
    v = c(Scope(values))
    if isinstance(v, ak.Array):
        v = ak.to_numpy(ak.fill_none(v, np.nan))
    return np.broadcast_to(np.asarray(v, dtype=np.float64), (n,)).copy()


def _mask(c: Compiled, values: dict[str, Any], n: int) -> np.ndarray:
    col = _column(c, values, n)
    return np.nan_to_num(col, nan=0.0).astype(bool)


def fit_scaling(card: NetworkCard, data: Dataset) -> dict[str, list[tuple[float, float]]]:
    """(offset, scale) per feature: mean and standard deviation over real objects/events."""
    out: dict[str, list[tuple[float, float]]] = {}
    for inp in card.inputs:
        x = data.inputs[inp.name]
        if inp.kind == "objects":
            real = data.inputs[inp.mask].astype(bool)
            vals = x[real]
        else:
            vals = x
        pairs = []
        for j in range(vals.shape[-1]):
            col = vals[:, j].astype(np.float64)
            m, s = float(np.mean(col)), float(np.std(col))
            pairs.append((round(m, 6), round(s, 6) if s > 1e-6 else 1.0))
        out[inp.name] = pairs
    return out


def scale(card: NetworkCard, data: Dataset) -> dict[str, np.ndarray]:
    """The inputs as the runner feeds them: ``(x - offset) / scale`` on real entries, padding
    elsewhere (the arithmetic of :func:`~hepreint.networks.build_inputs`, in float64 first)."""
    out = {}
    for inp in card.inputs:
        x = data.inputs[inp.name].astype(np.float64)
        off = np.array([f.offset for f in inp.features])
        sc = np.array([f.scale for f in inp.features])
        y = (x - off) / sc
        if inp.kind == "objects":
            mask = data.inputs[inp.mask]
            y = np.where(mask[..., None].astype(bool), y, inp.pad)
            out[inp.mask] = mask.astype(np.float32)
        out[inp.name] = y.astype(np.float32)
    return out
