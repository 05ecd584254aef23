"""The ttbar_hf classification and truth_particle kinds on hand-built tt̄ records.

Hadrons get the beam as first mother on purpose: in Pythia a string hadron's first mother is
whichever parton starts its string, so the classification must not rely on that chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import awkward as ak
import numpy as np
import pytest
from objects_testing import Row, particle_batch

from hepreint.errors import SpecError
from hepreint.events.batch import EventBatch
from hepreint.objects import lepton_particle_mask, truth_view
from hepreint.objects.heavy_flavour import HF_CLASSES, quark_content
from hepreint.objects.registry import kind

PI = float(np.pi)


class FakeInputs:
    """The BuildInputs the engine would give, for one batch (default lepton definitions)."""

    def __init__(self, batch: EventBatch) -> None:
        self._batch = batch
        self._truth = truth_view(batch)
        self._cache: dict[str, Any] = {}

    @property
    def batch(self) -> EventBatch:
        return self._batch

    @property
    def truth(self) -> ak.Array:
        return self._truth

    def lepton_mask(self) -> ak.Array:
        t = self._truth
        return lepton_particle_mask(t, flavours=(11,)) | lepton_particle_mask(t, flavours=(13,))

    def uniforms(self, stage: str, counts: np.ndarray) -> ak.Array:
        raise AssertionError("truth-only kinds draw no random numbers")

    def shared(self, parts: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        return self._cache.setdefault(repr(parts), make())


def tt_event(*extra: Row) -> list[Row]:
    """t → W+ b and t̄ → W- b̄ with the b-hadrons (B-, B+) and a jet (a pion) on each; rows of
    ``extra`` refer to parents by index: 0, 1 beams, 2 t, 3 t̄, 4 W+, 5 b, 6 W-, 7 b̄."""
    return [
        (2212, 4, -1, 0.0, 10.0, 0.0, 0.938),  # 0
        (2212, 4, -1, 0.0, -10.0, 0.0, 0.938),  # 1
        (6, 62, 0, 100.0, 0.0, 0.0, 172.5),  # 2 top (last copy)
        (-6, 62, 1, 100.0, 0.0, PI, 172.5),  # 3 antitop
        (24, 22, 2, 60.0, 0.5, 0.5, 80.4),  # 4 W+
        (5, 23, 2, 60.0, -1.0, -0.5, 4.8),  # 5 b from t
        (-24, 22, 3, 60.0, 0.5, 2.5, 80.4),  # 6 W-
        (-5, 23, 3, 60.0, -1.0, -2.5, 4.8),  # 7 b̄ from t̄
        (-521, 2, 0, 40.0, -1.02, -0.49, 5.28),  # 8 B- (b u-bar): the top's b
        (521, 2, 1, 40.0, -1.01, -2.52, 5.28),  # 9 B+ (b-bar u): the antitop's b̄
        (211, 1, 0, 45.0, -1.0, -0.5),  # 10 jet on the top's b
        (211, 1, 0, 45.0, -1.0, -2.5),  # 11 jet on the antitop's b̄
        *extra,
    ]


def jet_at(eta: float, phi: float, pt: float = 30.0) -> Row:
    return (211, 1, 0, pt, eta, phi)


def hadron(pid: int, eta: float, phi: float, pt: float = 20.0, parent: int = 0) -> Row:
    return (pid, 2, parent, pt, eta, phi, 5.0)


def classify(*events: list[Row], **params: Any) -> dict[str, list[int]]:
    hf = kind("ttbar_hf").build(dict(params), FakeInputs(particle_batch(events)))
    assert ak.num(hf).tolist() == [1] * len(events)
    return {f: ak.to_list(hf[f][:, 0]) for f in ("hf_class", "n_add_b", "n_add_c")}


def test_class_names_follow_the_transformer_nodes() -> None:
    assert HF_CLASSES[1:] == ("tt+>=2b", "tt+B", "tt+1b", "tt+>=1c", "tt+light")


def test_each_class() -> None:
    light = tt_event()
    two_b = tt_event(hadron(-511, 1.5, 1.5), jet_at(1.5, 1.5), hadron(511, -0.2, 2.0),
                     jet_at(-0.2, 2.0))  # fmt: skip
    big_b = tt_event(hadron(-511, 1.5, 1.5), hadron(511, 1.6, 1.55), jet_at(1.55, 1.5))
    one_b = tt_event(hadron(-511, 1.5, 1.5), jet_at(1.5, 1.5))
    one_c = tt_event(hadron(421, 1.5, 1.5), jet_at(1.5, 1.5), hadron(-421, 0.0, 2.0))  # no jet
    b_and_c = tt_event(hadron(-511, 1.5, 1.5), jet_at(1.5, 1.5), hadron(421, 0.0, 2.0),
                       jet_at(0.0, 2.0))  # fmt: skip
    got = classify(light, two_b, big_b, one_b, one_c, b_and_c)
    assert got["hf_class"] == [5, 1, 2, 3, 4, 3]
    assert got["n_add_b"] == [0, 2, 1, 1, 0, 1]
    assert got["n_add_c"] == [0, 0, 0, 0, 1, 1]


def test_top_b_hadron_not_counted_even_after_mixing() -> None:
    # the top's B- is replaced by B̄0 (b d-bar) that oscillates into a B0 (b-bar d): the weak
    # hadron carries b-bar, but its chain started with a b, so the top still claims it
    ev = tt_event()
    ev[8] = (-511, 2, 0, 40.0, -1.02, -0.49, 5.28)
    ev.append((511, 2, 8, 40.0, -1.02, -0.49, 5.28))  # 12 weak B0, child of 8
    assert classify(ev)["hf_class"] == [5]


def test_extra_b_of_the_wrong_content_is_not_taken_for_the_top_one() -> None:
    # a b-bar hadron right next to the top's b is additional: the top's b claims the B- only
    ev = tt_event(hadron(511, -1.0, -0.5, pt=10.0))
    assert classify(ev)["hf_class"] == [3]


def test_c_from_w_and_c_from_b_not_counted() -> None:
    w_c = tt_event(
        (4, 23, 4, 40.0, 1.0, 1.0, 1.5),  # 12 c from W+
        hadron(421, 1.02, 1.01, pt=30.0),  # 13 D0 (c u-bar) from it
        jet_at(1.0, 1.0),
    )
    b_c = tt_event(hadron(421, 2.0, 1.0, parent=8), jet_at(2.0, 1.0))  # D0 from the top's B-
    assert classify(w_c, b_c)["hf_class"] == [5, 5]
    # without the W's c quark, the same D0 is an additional c
    lone_d = tt_event(hadron(421, 1.02, 1.01, pt=30.0), jet_at(1.0, 1.0))
    assert classify(lone_d)["hf_class"] == [4]


@pytest.mark.parametrize(("eta", "expected"), [(0.35, 1), (0.25, 2)])
def test_hadron_goes_to_the_closest_jet(eta: float, expected: int) -> None:
    # jets at eta 0 and 0.6; one b-hadron in the first, a second one within 0.4 of both: it
    # makes a second b-jet when closer to the other jet, a tt+B jet otherwise
    ev = tt_event(jet_at(0.0, 1.5), jet_at(0.6, 1.5), hadron(-511, 0.0, 1.5), hadron(511, eta, 1.5))
    assert classify(ev)["hf_class"] == [expected]


def test_cuts_on_hadrons_and_jets() -> None:
    soft = tt_event(hadron(-511, 1.5, 1.5, pt=4.0), jet_at(1.5, 1.5))
    forward = tt_event(hadron(-511, 2.7, 1.5), jet_at(2.7, 1.5))
    far = tt_event(hadron(-511, 1.5, 1.5), jet_at(1.5, 2.0))  # ΔR 0.5
    assert classify(soft, forward, far)["hf_class"] == [5, 5, 5]
    loose = classify(soft, forward, far, hadron_pt_min=3.0, jet_abs_eta_max=3.0, dR=0.6)
    assert loose["hf_class"] == [3, 3, 3]


def test_not_ttbar_and_tth_are_class_0() -> None:
    no_top = [(2212, 4, -1, 0.0, 10.0, 0.0, 0.938), jet_at(0.0, 0.0)]
    tth = tt_event((25, 22, 0, 80.0, 0.0, 1.0, 125.0))
    assert classify(no_top, tth)["hf_class"] == [0, 0]


def test_empty_batch_and_bad_parameters() -> None:
    assert classify(tt_event())["hf_class"] == [5]
    with pytest.raises(SpecError, match="unknown"):
        classify(tt_event(), jet_R=0.4)
    with pytest.raises(SpecError, match="non-negative"):
        classify(tt_event(), dR="wide")


@pytest.mark.parametrize(
    ("pid", "b", "c"),
    [(521, -1, 0), (-521, 1, 0), (511, -1, 0), (5122, 1, 0), (-5122, -1, 0), (553, 0, 0),
     (411, 0, 1), (-421, 0, -1), (4122, 0, 1), (541, -1, 1), (443, 0, 0), (10523, -1, 0),
     (211, 0, 0)],
)  # fmt: skip
def test_quark_content(pid: int, b: int, c: int) -> None:
    assert quark_content(np.array([pid]), 5).tolist() == [b]
    assert quark_content(np.array([pid]), 4).tolist() == [c]


def test_truth_particle_last_copy_and_order() -> None:
    ev: list[Row] = [
        (2212, 4, -1, 0.0, 10.0, 0.0, 0.938),  # 0
        (25, 22, 0, 50.0, 0.5, 0.0, 125.0),  # 1 Higgs
        (25, 44, 1, 60.0, 0.5, 0.1, 125.0),  # 2 its recoiled copy: the last one
        (5, 23, 2, 40.0, 0.3, 0.0, 4.8),  # 3
        (-5, 23, 2, 30.0, 0.7, 0.2, 4.8),  # 4
        (6, 62, 0, 80.0, 0.0, 1.0, 172.5),  # 5 top
    ]
    inputs = FakeInputs(particle_batch([ev, ev[:1]]))
    h = kind("truth_particle").build({"pid": 25}, inputs)
    assert ak.num(h).tolist() == [1, 0]
    assert h[0, 0].pt == pytest.approx(60.0)
    assert h[0, 0].eta == pytest.approx(0.5)
    assert h.pid[0, 0] == 25 and h.charge[0, 0] == 0.0
    every = kind("truth_particle").build({"pid": [25, 6], "last_copy": False}, inputs)
    assert ak.to_list(every.pid[0]) == [6, 25, 25]  # ordered by pT: 80, 60, 50
    bs = kind("truth_particle").build({"pid": -5}, inputs)  # |pid|
    assert ak.to_list(bs.charge[0]) == pytest.approx([-1 / 3, 1 / 3])
    with pytest.raises(SpecError, match="pid"):
        kind("truth_particle").build({}, inputs)
    with pytest.raises(SpecError, match="pid"):
        kind("truth_particle").build({"pid": "higgs"}, inputs)
