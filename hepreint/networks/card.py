"""Network cards: what a preserved ONNX network takes and gives, read and checked before any event.

A card (schema ``hepreint-network/1``) sits beside its ONNX file(s) in
``analyses/<Name>/networks/``. Reading it has two levels: :func:`parse_card` compiles the
definition (inputs as expressions over the analysis' collections, outputs, discriminants, the
fold rule), which is all that feature building and training need; :func:`load_network` also
opens the ONNX files and refuses, in one line naming the card and the mismatch, a wrong sha256,
a graph whose inputs or outputs differ from the card (names, shapes, dtypes) and a failing test
vector. Rivet's ONNX interface checks none of this; the Les Houches recommendations on reusable
models (arXiv:2003.07186) ask for all of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hepreint.analysis.expr import Compiled, ExpressionError, compile_expression
from hepreint.analysis.schemas import validate
from hepreint.analysis.yamlfile import LocatedYAML, load_yaml
from hepreint.errors import NetworkError


@dataclass(frozen=True)
class Feature:
    name: str
    expr: Compiled
    unit: str = ""
    offset: float = 0.0
    scale: float = 1.0
    default: float | None = None


@dataclass(frozen=True)
class Input:
    """One graph input: a padded object list (with its mask input) or event-level features."""

    name: str
    kind: str  # "objects" | "event"
    features: tuple[Feature, ...]
    collection: str = ""
    max_objects: int = 0
    pad: float = 0.0
    mask: str = ""

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape without the batch axis."""
        n = len(self.features)
        return (self.max_objects, n) if self.kind == "objects" else (n,)


@dataclass(frozen=True)
class NetworkCard:
    name: str
    path: Path
    data: dict[str, Any] = field(repr=False)
    task: str
    inputs: tuple[Input, ...]
    output_tensor: str
    output_names: tuple[str, ...]
    discriminants: dict[str, Compiled]
    transform: Compiled | None
    folds: int
    parameters: tuple[str, ...]

    @property
    def surrogate(self) -> bool:
        return bool(self.data.get("surrogate", True))

    @property
    def fields(self) -> frozenset[str]:
        """Names an analysis expression may read off the network (``ttH_class.ttH``)."""
        return frozenset(self.output_names) | frozenset(self.discriminants)

    @property
    def graph_inputs(self) -> dict[str, tuple[int, ...]]:
        """Every ONNX input the card feeds, with its shape without the batch axis."""
        out: dict[str, tuple[int, ...]] = {}
        for i in self.inputs:
            out[i.name] = i.shape
            if i.kind == "objects":
                out[i.mask] = (i.max_objects,)
        return out

    def onnx_files(self) -> list[tuple[Path, str]]:
        return [(self.path.parent / e["file"], str(e["sha256"])) for e in self.data["onnx"]]

    def describe(self) -> dict[str, Any]:
        """What results and ``inspect`` record of the network (provenance)."""
        prov = self.data.get("provenance") or {}
        return {
            "name": self.name,
            "card": self.path.name,
            "surrogate": self.surrogate,
            "note": self.data.get("surrogate_note", ""),
            "task": self.task,
            "onnx": [{"file": e["file"], "sha256": e["sha256"]} for e in self.data["onnx"]],
            "folds": self.folds,
            "recipe": prov.get("recipe", ""),
        }


def _fail(path: Path, msg: str) -> NetworkError:
    return NetworkError(f"{path}: {msg}")


def parse_card(
    path: str | Path,
    collections: set[str] | frozenset[str],
    parameters: Mapping[str, float] | set[str],
    *,
    data: dict[str, Any] | None = None,
) -> NetworkCard:
    """The card's definition, compiled against the analysis' collection and parameter names."""
    p = Path(path)
    doc: LocatedYAML | None = None
    if data is None:
        if not p.is_file():
            raise _fail(p, "no such network card; the analysis' networks: section names it")
        doc = load_yaml(p)
        data = doc.data
    if not isinstance(data, dict):
        raise _fail(p, "expected a mapping (schema: hepreint-network/1, name: ...)")
    problems = validate(data, "network", doc, finite=True)
    if problems:
        raise _fail(p, "; ".join(problems[:3]) + (f" (+{len(problems) - 3} more)"
                                                  if len(problems) > 3 else ""))
    where = doc.where if doc is not None else (lambda key: f"at {'.'.join(map(str, key))}")
    params = tuple(data.get("parameters") or ())
    missing = [q for q in params if q not in parameters]
    if missing:
        raise _fail(p, f"parameters {', '.join(missing)} are not parameters of the analysis; "
                       "declare them under the analysis' parameters:")  # fmt: skip
    known = set(collections) | set(parameters)
    inputs = []
    for i, spec in enumerate(data["inputs"]):
        if spec["kind"] == "objects" and spec["collection"] not in collections:
            have = ", ".join(sorted(collections))
            raise _fail(p, f"{where(('inputs', i, 'collection'))}: unknown collection "
                           f"{spec['collection']!r} (the analysis has: {have})")  # fmt: skip
        feats = []
        for j, f in enumerate(spec["features"]):
            try:
                c = compile_expression(f["expr"], known, object_scope=spec["kind"] == "objects")
            except ExpressionError as exc:
                raise _fail(p, f"{where(('inputs', i, 'features', j, 'expr'))}: {exc}") from None
            default = None if f.get("default") is None else float(f["default"])
            feats.append(Feature(str(f["name"]), c, str(f.get("unit", "")),
                                 float(f.get("offset", 0.0)), float(f.get("scale", 1.0)),
                                 default))  # fmt: skip
        inputs.append(Input(str(spec["name"]), spec["kind"], tuple(feats),
                            str(spec.get("collection", "")), int(spec.get("max_objects", 0)),
                            float(spec.get("pad", 0.0)), str(spec.get("mask", ""))))  # fmt: skip
    names = [n for i in inputs for n in ([i.name, i.mask] if i.kind == "objects" else [i.name])]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise _fail(p, f"graph input names used twice: {', '.join(dup)}")
    out = data["outputs"]
    out_names = tuple(out["names"])
    disc: dict[str, Compiled] = {}
    for dname, d in (data.get("discriminants") or {}).items():
        try:
            disc[dname] = compile_expression(d["expr"], set(out_names) | set(parameters))
        except ExpressionError as exc:
            raise _fail(p, f"{where(('discriminants', dname, 'expr'))}: {exc}") from None
    transform = None
    if out.get("transform"):
        try:
            transform = compile_expression(out["transform"]["expr"], {"x"})
        except ExpressionError as exc:
            raise _fail(p, f"{where(('outputs', 'transform', 'expr'))}: {exc}") from None
    k = int((data.get("folds") or {}).get("k", 1))
    if len(data["onnx"]) != k:
        raise _fail(p, f"folds.k is {k} but onnx lists {len(data['onnx'])} file(s); "
                       "give one ONNX file per fold, in fold order")  # fmt: skip
    return NetworkCard(str(data["name"]), p, data, str(data["task"]), tuple(inputs),
                       str(out["tensor"]), out_names, disc, transform, k, params)  # fmt: skip


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_graph(card: NetworkCard, fold: int, session: Any) -> None:
    """The graph's inputs and output against the card: names, static shapes, float32."""
    file = card.data["onnx"][fold]["file"]
    want = card.graph_inputs
    have = {i.name: i for i in session.get_inputs()}
    if set(have) != set(want):
        extra, lost = sorted(set(have) - set(want)), sorted(set(want) - set(have))
        raise _fail(card.path, f"{file} has inputs {sorted(have)}, the card feeds {sorted(want)}"
                               f" (graph only: {extra or 'none'}; card only: {lost or 'none'}); "
                               "rebuild the card with the recipe or fix its inputs:")  # fmt: skip
    for name, shape in want.items():
        g = have[name]
        if g.type != "tensor(float)":
            raise _fail(card.path, f"{file}: input {name} is {g.type}, the card feeds float32")
        dims = tuple(g.shape[1:])
        fixed = tuple(d if isinstance(d, int) else None for d in dims)
        if len(dims) != len(shape) or any(
            d is not None and d != s for d, s in zip(fixed, shape, strict=False)
        ):
            raise _fail(card.path, f"{file}: input {name} has shape {['batch', *dims]}, the card "
                                   f"gives {['batch', *shape]}; the card's features or "
                                   "max_objects do not match the graph")  # fmt: skip
    outs = {o.name: o for o in session.get_outputs()}
    if card.output_tensor not in outs:
        raise _fail(card.path, f"{file} has no output {card.output_tensor!r} (it has "
                               f"{sorted(outs)}); fix outputs.tensor")  # fmt: skip
    last = outs[card.output_tensor].shape[-1]
    if isinstance(last, int) and last != len(card.output_names):
        raise _fail(card.path, f"{file}: output {card.output_tensor} has {last} values per "
                               f"event, the card names {len(card.output_names)}; fix "
                               "outputs.names")  # fmt: skip


def check_test_vectors(card: NetworkCard, sessions: list[Any]) -> None:
    """Each recorded case run through its fold's graph must give its recorded outputs."""
    tv = card.data["test_vectors"]
    atol, rtol = float(tv["atol"]), float(tv.get("rtol", 0.0))
    for n, case in enumerate(tv["cases"]):
        fold = int(case["fold"])
        if fold >= len(sessions):
            raise _fail(card.path, f"test_vectors.cases[{n}]: fold {fold} does not exist")
        feed = {}
        for name, shape in card.graph_inputs.items():
            if name not in case["inputs"]:
                raise _fail(card.path, f"test_vectors.cases[{n}] gives no input {name}")
            arr = np.asarray(case["inputs"][name], dtype=np.float32)
            if arr.shape[1:] != shape:
                dims = ", ".join(map(str, shape))
                raise _fail(card.path, f"test_vectors.cases[{n}]: input {name} has shape "
                                       f"{list(arr.shape)}, expected [n, {dims}]")  # fmt: skip
            feed[name] = arr
        got = sessions[fold].run([card.output_tensor], feed)[0]
        want = np.asarray(case["outputs"][card.output_tensor], dtype=np.float64)
        if got.shape != want.shape or not np.allclose(got, want, atol=atol, rtol=rtol):
            diff = np.max(np.abs(got - want)) if got.shape == want.shape else float("nan")
            raise _fail(card.path, f"test vector {n} (fold {fold}) fails: "
                                   f"{card.data['onnx'][fold]['file']} gives outputs differing "
                                   f"by {diff:.3g} (atol {atol:g}); the ONNX file or the card "
                                   "changed: rerun the recipe (models/README.md)")  # fmt: skip
