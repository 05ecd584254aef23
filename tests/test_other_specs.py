"""The engine carries the other three analyses: their test specs run on Pythia events of their
own signal processes (generated here, a few dozen each) and give sensible, non-empty cut-flows.
Numbers are not validated — only that the constructs work on real events."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pythia8mc")

from conftest import PythiaSample  # noqa: E402

from hepreint import RunOptions, run  # noqa: E402

SPECS = Path(__file__).resolve().parent / "specs"
pytestmark = pytest.mark.slow  # generates Pythia events


@pytest.fixture(scope="module")
def samples(pythia_sample: PythiaSample) -> dict[str, Path]:
    """40 events each, seed 11: the samples tests/test_engine_pins.py pins (shared with it)."""
    out: dict[str, Path] = {}
    for name, proc, params in [
        ("VHbbcc", "WH_bb", {}),
        ("HH4b", "X_HH_4b", {"mX": 500.0}),
        ("XSH_bbyy", "X_SH_bbyy", {"mX": 500.0, "mS": 200.0}),
    ]:
        out[name] = pythia_sample(proc, 40, 11, params)
    return out


def test_vh_one_lepton(samples: dict[str, Path]) -> None:
    res = run(SPECS / "VHbbcc", [samples["VHbbcc"]], RunOptions(seed=1))
    regions = res.yields.regions
    # W -> e/mu nu: most events have exactly one lepton, a few pass the full 1-lepton 2b selection
    assert regions["L1"].n[1] >= 20
    assert regions["L1"].n[-1] > 0
    bins = [regions[f"L1_pTV_bin{i}"].n[-1] for i in range(4)]
    assert sum(bins) == regions["L1"].n[-1]  # the pT(V) bins partition the region
    assert regions["L2"].n[1] == 0  # no Z -> ll in WH


def test_hh4b_resonant(samples: dict[str, Path]) -> None:
    res = run(SPECS / "HH4b", [samples["HH4b"]], RunOptions(seed=1), params={"mX": 500.0})
    sr = res.yields.regions["SR"]
    assert sr.n[1] > 0  # >= 4 truth b-jets in some X -> HH -> 4b events
    assert res.yields.regions["SR_mX"].n[-1] <= sr.n[-1]
    assert res.analysis.parameters["mX"] == 500.0


def test_xsh_bbyy(samples: dict[str, Path]) -> None:
    res = run(SPECS / "XSH_bbyy", [samples["XSH_bbyy"]], RunOptions(seed=1),
              params={"mX": 500.0, "mS": 200.0})  # fmt: skip
    pre = res.yields.regions["presel"]
    # H -> yy is forced: most events have two isolated photons in the m_yy window
    assert pre.n[2] >= 25
    assert pre.n[-1] > 0
