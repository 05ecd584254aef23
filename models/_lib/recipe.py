"""What every network recipe does the same way: samples, cached features, card, reproducibility.

Why shared: a recipe differs in its samples, labels and model; how it generates missing samples
(``hepreint generate``, two at a time on the two cores), caches the feature tensors, records the
software, writes the card and checks a retrain against the shipped test vectors must be one
code, so that every preserved network is rebuilt and checked the same way.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .export import run_onnx

#: (process, events, seed, params such as "mX=500")
Sample = tuple[str, int, int, list[str]]


def sample_path(work: Path, proc: str, n: int, seed: int, params: Sequence[str]) -> Path:
    tag = "".join(f"_{q.replace('=', '')}" for q in params)
    return work / f"{proc}{tag}_n{n}_s{seed}.hepmc3.gz"


def sample_files(
    work: Path, samples: Sequence[Sample], scale_events: float = 1.0, jobs: int = 2
) -> tuple[list[Path], list[dict[str, Any]]]:
    """Generate the samples that are missing (``jobs`` at a time) and return them in order,
    with the record of each (process, events, seed, params, command) for the card."""
    files, records, todo = [], [], []
    for proc, n, seed, params in samples:
        n = int(round(n * scale_events))
        out = sample_path(work, proc, n, seed, params)
        cmd = ["hepreint", "generate", proc, "--events", str(n), "--seed", str(seed), "--prune",
               "-o", str(out)] + [a for p in params for a in ("--param", p)]  # fmt: skip
        files.append(out)
        record: dict[str, Any] = {"process": proc, "events": n, "seed": seed,
                                  "command": " ".join(cmd).replace(str(work) + "/", "WORK/")}
        if params:
            record["params"] = list(params)
        records.append(record)
        if not out.is_file():
            todo.append(cmd)
    running: list[subprocess.Popen[bytes]] = []
    for cmd in todo:
        while len(running) >= jobs:
            running.pop(0).wait()
        print("+", " ".join(cmd), flush=True)
        running.append(subprocess.Popen(cmd))
    for p in running:
        if p.wait() != 0:
            raise SystemExit(f"generation failed: {p.args}")
    return files, records


def cached(work: Path, files: Sequence[Path], key_parts: Any, make: Callable[[], Any]) -> Any:
    """A :class:`hepreint.training.Dataset` of ``files`` from ``work``, keyed on everything that
    made it (the files, selection, labels, detector, seed, the card's inputs), else made and
    saved."""
    from hepreint.training import Dataset

    parts = [str(f) for f in files] + list(key_parts)
    key = hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]
    path = work / f"features_{key}.npz"
    if path.is_file():
        z = np.load(path)
        return Dataset({k[2:]: z[k] for k in z.files if k.startswith("x_")},
                       {k[2:]: z[k] for k in z.files if k.startswith("y_")}, z["w"], z["ev"],
                       z["s"], [str(f) for f in files], list(z["read"]))  # fmt: skip
    ds = make()
    np.savez(path, w=ds.weights, ev=ds.event_numbers, s=ds.sample, read=np.array(ds.read),
             **{f"x_{k}": v for k, v in ds.inputs.items()},
             **{f"y_{k}": v for k, v in ds.labels.items()})  # fmt: skip
    return ds


def xsec_of(path: Path) -> float:
    """The cross-section (pb) the generator wrote into the file (its last event's value)."""
    from hepreint.io.stream import read_events

    last = None
    for batch in read_events([path], batch_size=5000, reader="fast"):
        last = batch.xsec_pb
    if not last:
        raise SystemExit(f"{path}: no cross-section in the file")
    return float(last)


def software() -> dict[str, str]:
    """The versions a card records: what trained, exported and checked the network."""
    import onnx
    import onnxruntime
    import torch

    from hepreint import __version__

    return {"hepreint": str(__version__), "torch": str(torch.__version__),
            "onnx": str(onnx.__version__), "onnxruntime": str(onnxruntime.__version__),
            "numpy": str(np.__version__), "python": platform.python_version()}  # fmt: skip


def write_card(card: dict[str, Any], out_dir: Path, recipe: str) -> Path:
    path = out_dir / f"{card['name']}.yaml"
    head = (f"# Written by {recipe} {card['name']} (do not edit by hand: rerun the "
            "recipe).\n# A SURROGATE network: see surrogate_note and provenance.\n")  # fmt: skip
    path.write_text(head + yaml.safe_dump(card, sort_keys=False, width=100), encoding="utf-8")
    return path


def check_against(
    name: str, shipped: Path, build: Callable[[Path], Any]
) -> float:
    """Retrain into a scratch directory (``build(tmp)``) and return the largest difference of
    the new ONNX outputs from the shipped card's test vectors."""
    old = yaml.safe_load((shipped / f"{name}.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        worst = 0.0
        for case in old["test_vectors"]["cases"]:
            f = case["fold"]
            inputs = {k: np.asarray(v, dtype=np.float32) for k, v in case["inputs"].items()}
            tensor = old["outputs"]["tensor"]
            got = np.asarray(run_onnx(Path(tmp) / f"{name}.fold{f}.onnx", inputs, output=tensor))
            want = np.asarray(case["outputs"][tensor])
            worst = max(worst, float(np.max(np.abs(got - want))))
    print(f"{name}: largest difference from the shipped test vectors {worst:.3g}")
    return worst
