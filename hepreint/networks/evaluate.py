"""Run a network on a whole batch: the fold rule, one ``session.run`` per fold, named outputs.

Events are split by the card's fold rule (``event_number % k``: the model of fold i serves the
events it did not train on) and each fold's model runs once on all its events of the batch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hepreint.analysis.expr import Scope
from hepreint.networks.card import NetworkCard
from hepreint.networks.features import build_inputs
from hepreint.networks.session import LoadedNetwork


@dataclass(frozen=True)
class NetworkValues:
    """A network's outputs for a batch, read in expressions as ``net.<name>``; ``argmax(net)``
    is the index of the largest output (the class an event is assigned to)."""

    names: tuple[str, ...]
    scores: np.ndarray  # (n, len(names))
    derived: dict[str, np.ndarray] = field(default_factory=dict)

    def __getattr__(self, name: str) -> np.ndarray:
        if name in ("names", "scores", "derived"):
            raise AttributeError(name)
        if name in self.names:
            return np.asarray(self.scores[:, self.names.index(name)])
        if name in self.derived:
            return self.derived[name]
        raise AttributeError(f"network output {name!r} (it has {', '.join(self.names)})")

    def argmax(self) -> np.ndarray:
        return np.argmax(self.scores, axis=1).astype(np.int64)


def folds_of(card: NetworkCard, event_numbers: np.ndarray) -> np.ndarray:
    return np.asarray(event_numbers, dtype=np.int64) % card.folds


def run_network(
    net: LoadedNetwork, values: Mapping[str, Any], event_numbers: np.ndarray
) -> NetworkValues:
    card = net.card
    n = len(event_numbers)
    feed = build_inputs(card, values, n)
    raw = np.zeros((n, len(card.output_names)), dtype=np.float64)
    fold = folds_of(card, event_numbers)
    for i, session in enumerate(net.sessions):
        sel = np.flatnonzero(fold == i)
        if len(sel) == 0:
            continue
        part = {k: v[sel] for k, v in feed.items()}
        raw[sel] = session.run([card.output_tensor], part)[0].reshape(len(sel), -1)
    return finish(card, raw, values)


def finish(card: NetworkCard, raw: np.ndarray, values: Mapping[str, Any]) -> NetworkValues:
    """Named outputs (after the card's transform) and the discriminants over them."""
    scores = raw
    if card.transform is not None:
        with np.errstate(all="ignore"):
            scores = np.asarray(card.transform(Scope({"x": raw})), dtype=np.float64)
    cols = {name: scores[:, j] for j, name in enumerate(card.output_names)}
    derived = {}
    params = {p: values[p] for p in card.parameters if p in values}
    for dname, expr in card.discriminants.items():
        with np.errstate(all="ignore"):
            derived[dname] = np.asarray(expr(Scope({**params, **cols})), dtype=np.float64)
    return NetworkValues(card.output_names, scores, derived)
