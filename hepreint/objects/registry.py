"""Object kinds register themselves here: the engine looks a kind up instead of branching on it.

A kind is the name an analysis writes (``type: jet``) and a builder that turns the batch into one
collection: ``build(params, inputs)``, with ``params`` the analysis' keys for that object (minus
``type``/``where``/``source``) and ``inputs`` what the batch offers (:class:`BuildInputs`). A new
kind (a Delphes collection, a tau flavour) is one decorated function in one module of this package
plus its entry in ``schemas/analysis.schema.json``: nothing in the engine changes.

``uses`` names the analysis-wide inputs a builder reads besides its own parameters (today only
``"lepton_mask"``, the particles an analysis' own electrons and muons take); the engine puts them
into the key under which a collection is shared between analyses, so two analyses share a
collection exactly when it would come out the same.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import awkward as ak
import numpy as np

from hepreint.errors import SpecError
from hepreint.events.batch import EventBatch


class BuildInputs(Protocol):
    """What a builder may read: the batch, its truth view, and per-event random numbers."""

    @property
    def batch(self) -> EventBatch: ...

    @property
    def truth(self) -> ak.Array: ...

    def lepton_mask(self) -> ak.Array: ...

    def uniforms(self, stage: str, counts: np.ndarray) -> ak.Array: ...

    def shared(self, parts: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """An intermediate product (e.g. jets clustered before the analysis' cuts) made once
        per batch for every analysis whose inputs agree; ``parts`` say what it depends on
        besides the analysis-wide inputs, which the context adds itself."""
        ...


Builder = Callable[[dict[str, Any], BuildInputs], ak.Array]


@dataclass(frozen=True)
class ObjectKind:
    name: str
    build: Builder
    uses: frozenset[str] = frozenset()
    #: PDG codes this kind declares invisible for the whole truth view (MET's ``invisible_pids``)
    invisible: Callable[[Mapping[str, Any]], Sequence[int]] | None = None
    #: generator truth that no detector measures (a heavy-flavour class, the Higgs boson): the
    #: detector stage passes it through, so truth labels read the same at every level
    truth_only: bool = False


_KINDS: dict[str, ObjectKind] = {}

INPUTS = frozenset({"lepton_mask"})


def object_kind(
    name: str,
    *,
    uses: Sequence[str] = (),
    invisible: Callable[[Mapping[str, Any]], Sequence[int]] | None = None,
    truth_only: bool = False,
) -> Callable[[Builder], Builder]:
    """Register ``build`` as the builder of kind ``name`` (a decorator)."""
    unknown = set(uses) - INPUTS
    if unknown:
        raise ValueError(
            f"kind {name!r}: unknown inputs {sorted(unknown)} (known: {sorted(INPUTS)})"
        )

    def register(build: Builder) -> Builder:
        if name in _KINDS and _KINDS[name].build is not build:
            raise ValueError(f"object kind {name!r} is registered twice")
        _KINDS[name] = ObjectKind(name, build, frozenset(uses), invisible, truth_only)
        return build

    return register


def kind(name: str) -> ObjectKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise SpecError(
            f"unknown object type {name!r}; known types: {', '.join(sorted(_KINDS))}"
        ) from None


def kinds() -> tuple[str, ...]:
    return tuple(sorted(_KINDS))
