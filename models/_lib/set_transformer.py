"""A small masked set transformer over object lists plus one event-level token.

Why this architecture: the preserved analyses feed networks with variable-length object lists
(jets, leptons, photons) padded to a fixed length, plus event-level quantities (MET, mass
hypotheses of a parametrised network). A set transformer is invariant to the order of the objects
within a list and, with an additive mask, to the number of padded slots, so the recipe does not
have to invent a sorting convention that a reinterpreter would have to reproduce exactly.

Why the attention is hand-written: ``torch.nn.MultiheadAttention`` exports to ONNX through fused
or version-dependent paths; plain ``matmul``/``softmax`` with an additive ``-1e9`` mask exports to
a handful of standard operators on every opset >= 13 and the padded keys receive exactly zero
attention weight in float32 (``exp(-1e9)`` underflows to 0), so padding cannot leak.

Positional input order of ``forward`` (and of the ONNX graph inputs; see ``graph_input_names``):
for every ``kind="objects"`` spec, in the order of the spec list, its features
``(n, max_objects, n_features)`` followed by its mask ``(n, max_objects)``; then every
``kind="event"`` spec, in the order of the spec list, ``(n, n_features)``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

Task = Literal["classification", "regression"]


@dataclass
class InputSpec:
    """One named network input, as it appears in the ONNX graph.

    ``mask`` names the companion mask input of an object list; when omitted it defaults to
    ``f"{name}_mask"`` so that every object list has one (padding invariance relies on it).
    """

    name: str
    kind: Literal["objects", "event"]
    n_features: int
    max_objects: int = 0
    mask: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("objects", "event"):
            raise ValueError(f"input {self.name!r}: kind must be 'objects' or 'event'")
        if self.n_features < 1:
            raise ValueError(f"input {self.name!r}: n_features must be >= 1")
        if self.kind == "objects":
            if self.max_objects < 1:
                raise ValueError(f"object input {self.name!r}: max_objects must be >= 1")
            if self.mask is None:
                self.mask = f"{self.name}_mask"
        elif self.mask is not None:
            raise ValueError(f"event input {self.name!r} cannot have a mask")

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def object_specs(specs: list[InputSpec]) -> list[InputSpec]:
    return [s for s in specs if s.kind == "objects"]


def event_specs(specs: list[InputSpec]) -> list[InputSpec]:
    return [s for s in specs if s.kind == "event"]


def graph_input_names(specs: list[InputSpec]) -> list[str]:
    """Names in the positional order of ``SetTransformer.forward`` (and of the ONNX inputs)."""
    names: list[str] = []
    for s in object_specs(specs):
        names += [s.name, str(s.mask)]
    names += [s.name for s in event_specs(specs)]
    return names


def input_shapes(specs: list[InputSpec]) -> dict[str, tuple[int, ...]]:
    """Per-event shape of every graph input (the batch axis is left out)."""
    shapes: dict[str, tuple[int, ...]] = {}
    for s in object_specs(specs):
        shapes[s.name] = (s.max_objects, s.n_features)
        shapes[str(s.mask)] = (s.max_objects,)
    for s in event_specs(specs):
        shapes[s.name] = (s.n_features,)
    return shapes


def validate_inputs(specs: list[InputSpec], inputs: dict[str, np.ndarray]) -> int:
    """Check names, dtypes and shapes against the specs; returns the number of events."""
    n: int | None = None
    for name, shape in input_shapes(specs).items():
        if name not in inputs:
            raise KeyError(f"missing input {name!r}; expected {graph_input_names(specs)}")
        a = inputs[name]
        if a.dtype != np.float32:
            raise TypeError(f"input {name!r} must be float32, got {a.dtype}")
        if tuple(a.shape[1:]) != shape:
            raise ValueError(f"input {name!r} has shape {a.shape}, expected (n, *{shape})")
        if n is None:
            n = a.shape[0]
        elif a.shape[0] != n:
            raise ValueError(f"input {name!r} has {a.shape[0]} events, others have {n}")
    return int(n or 0)


def to_tensors(specs: list[InputSpec], inputs: dict[str, np.ndarray]) -> list[torch.Tensor]:
    """The dict of arrays as the positional tensor list that ``forward`` takes."""
    return [torch.from_numpy(np.ascontiguousarray(inputs[k])) for k in graph_input_names(specs)]


class MaskedSelfAttention(nn.Module):
    """Multi-head self-attention where masked keys get an additive -1e9 before the softmax."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        if d_model % n_heads:
            raise ValueError("d_model must be divisible by n_heads")
        self.n_heads = n_heads
        self.d_head = d_model // n_heads
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        # x: (n, T, d); key_bias: (n, 1, 1, T) with 0 for real tokens and -1e9 for padding.
        n, t, d = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.n_heads, self.d_head).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # each (n, h, T, d_head)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.d_head))
        attn = self.drop(torch.softmax(scores + key_bias, dim=-1))
        y = torch.matmul(attn, v).transpose(1, 2).reshape(n, t, d)
        return self.out(y)


class Block(nn.Module):
    """Pre-norm residual block: x + attn(LN(x)), then x + FF(LN(x))."""

    def __init__(self, d_model: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = MaskedSelfAttention(d_model, n_heads, dropout)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(
            nn.Linear(d_model, 2 * d_model),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(2 * d_model, d_model),
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        x = x + self.drop(self.attn(self.norm1(x), key_bias))
        return x + self.drop(self.ff(self.norm2(x)))


class SetTransformer(nn.Module):
    """Object lists + one event token -> masked attention -> pooled MLP head.

    The event token always exists (a learned constant when there is no event-level input), so
    every event has at least one real key and the softmax never runs over padding only.
    Inputs are standardised inside the graph with buffers set by ``fit_normalisation`` so the
    ONNX file takes the raw features the analysis computes (no preprocessing to preserve).
    """

    event_mean: torch.Tensor
    event_scale: torch.Tensor

    def __init__(
        self,
        inputs: list[InputSpec],
        n_outputs: int,
        task: Task,
        d_model: int = 32,
        n_heads: int = 4,
        n_layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if task not in ("classification", "regression"):
            raise ValueError(f"unknown task {task!r}")
        if not object_specs(inputs):
            raise ValueError("a SetTransformer needs at least one object-list input")
        names = graph_input_names(inputs)
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate input names: {names}")
        self.specs = list(inputs)
        self.task: Task = task
        self.n_outputs = n_outputs
        self.hyper = dict(d_model=d_model, n_heads=n_heads, n_layers=n_layers, dropout=dropout)
        objs, evts = object_specs(inputs), event_specs(inputs)
        self.n_event_features = sum(s.n_features for s in evts)
        self.embed = nn.ModuleList(nn.Linear(s.n_features, d_model) for s in objs)
        self.type_embed = nn.Parameter(torch.zeros(len(objs) + 1, d_model))
        self.event_embed = nn.Linear(max(self.n_event_features, 1), d_model)
        self.blocks = nn.ModuleList(Block(d_model, n_heads, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Sequential(
            nn.Linear(2 * d_model, d_model), nn.ReLU(), nn.Linear(d_model, n_outputs)
        )
        for i, s in enumerate(objs):
            self.register_buffer(f"mean_{i}", torch.zeros(s.n_features))
            self.register_buffer(f"scale_{i}", torch.ones(s.n_features))
        self.register_buffer("event_mean", torch.zeros(max(self.n_event_features, 1)))
        self.register_buffer("event_scale", torch.ones(max(self.n_event_features, 1)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initialise every weight from the current torch RNG (``train`` seeds it first)."""
        for m in self.modules():
            if m is not self and hasattr(m, "reset_parameters"):
                m.reset_parameters()  # type: ignore[operator]
        nn.init.normal_(self.type_embed, std=0.02)

    @torch.no_grad()
    def fit_normalisation(self, inputs: dict[str, np.ndarray]) -> None:
        """Mean/std of every feature over real objects only (padding would bias them to 0)."""
        for i, s in enumerate(object_specs(self.specs)):
            x = inputs[s.name].astype(np.float64)
            m = inputs[str(s.mask)].astype(bool)
            real = x[m] if m.any() else np.zeros((1, s.n_features))
            mean, std = real.mean(axis=0), real.std(axis=0)
            getattr(self, f"mean_{i}").copy_(torch.from_numpy(mean))
            getattr(self, f"scale_{i}").copy_(torch.from_numpy(1.0 / np.where(std > 0, std, 1.0)))
        evts = event_specs(self.specs)
        if evts:
            x = np.concatenate([inputs[s.name] for s in evts], axis=1).astype(np.float64)
            std = x.std(axis=0)
            self.event_mean.copy_(torch.from_numpy(x.mean(axis=0)))
            self.event_scale.copy_(torch.from_numpy(1.0 / np.where(std > 0, std, 1.0)))

    def logits(self, *tensors: torch.Tensor) -> torch.Tensor:
        """Pre-softmax outputs (classification) or the prediction itself (regression)."""
        objs = object_specs(self.specs)
        n_obj_tensors = 2 * len(objs)
        if len(tensors) != n_obj_tensors + len(event_specs(self.specs)):
            raise ValueError(f"expected tensors in the order {graph_input_names(self.specs)}")
        tokens, masks = [], []
        for i in range(len(objs)):
            x, m = tensors[2 * i], tensors[2 * i + 1]
            x = (x - getattr(self, f"mean_{i}")) * getattr(self, f"scale_{i}")
            tokens.append(self.embed[i](x) + self.type_embed[i])
            masks.append(m)
        n = tensors[0].shape[0]
        if self.n_event_features:
            ev = torch.cat(list(tensors[n_obj_tensors:]), dim=1)
        else:
            ev = torch.zeros(n, 1, dtype=tensors[0].dtype)
        ev = (ev - self.event_mean) * self.event_scale
        ev_token = (self.event_embed(ev) + self.type_embed[len(objs)]).unsqueeze(1)
        x = torch.cat(tokens + [ev_token], dim=1)  # (n, T_obj + 1, d)
        obj_mask = torch.cat(masks, dim=1)  # (n, T_obj)
        mask = torch.cat([obj_mask, torch.ones_like(obj_mask[:, :1])], dim=1)
        key_bias = ((1.0 - mask) * -1e9).unsqueeze(1).unsqueeze(1)  # (n, 1, 1, T)
        for block in self.blocks:
            x = block(x, key_bias)
        x = self.norm(x)
        t_obj = obj_mask.shape[1]
        w = obj_mask.unsqueeze(-1)
        pooled = (x[:, :t_obj] * w).sum(dim=1) / torch.clamp(w.sum(dim=1), min=1.0)
        return self.head(torch.cat([pooled, x[:, t_obj]], dim=1))

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        """Softmax probabilities (classification, softmax inside the graph) or raw regression."""
        out = self.logits(*tensors)
        return torch.softmax(out, dim=-1) if self.task == "classification" else out

    @property
    def output_name(self) -> str:
        return "probabilities" if self.task == "classification" else "prediction"
