"""ttbar_hf generation: Pythia's enhanced g -> QQbar splittings and their compensating weights.

The settings checks are fast; the Pythia runs are marked slow.
"""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pytest

from hepreint.errors import SpecError
from hepreint.generate.processes import HF_ENHANCE, process_settings

ANALYSIS = """\
schema: hepreint-analysis/1
metadata: {name: ttHF, title: "tt+HF classes (test)", experiment: ATLAS, arxiv: "2111.06712",
           inspire: null, sqrt_s_TeV: 13, luminosity_fb: 140, status: test}
objects:
  hf: {type: ttbar_hf, source: "arXiv:2111.06712 Sec. 5 (trust C)"}
  tops: {type: truth_particle, pid: 6, source: "generator top quarks"}
variables:
  top_pt: "tops[0].pt"
cuts:
  two_tops: "count(tops) == 2 and top_pt > 0"
  ttb: "hf[0].hf_class >= 1 and hf[0].hf_class <= 3"
  ttc: "hf[0].hf_class == 4"
  ttlight: "hf[0].hf_class == 5"
regions:
  ttb: {cuts: [two_tops, ttb]}
  ttc: {cuts: [two_tops, ttc]}
  ttlight: {cuts: [two_tops, ttlight]}
"""


def _lines(params: dict[str, float] | None = None) -> list[str]:
    return [line for line, _ in process_settings("ttbar_hf", 7, params)]


def test_settings_enhance_g_to_heavy_quarks() -> None:
    lines = _lines()
    assert "Top:gg2ttbar = on" in lines and "Enhancements:doEnhance = on" in lines
    assert f"EnhancedSplittings:List = {{fsr:G2BB={HF_ENHANCE:g}}}" in lines
    both = _lines({"enhance": 8, "enhance_c": 2})
    assert "EnhancedSplittings:List = {fsr:G2BB=8,fsr:G2CC=2}" in both
    # no enhancement at all is plain ttbar (unit weights)
    assert _lines({"enhance": 1}) == [line for line, _ in process_settings("ttbar", 7)]
    with pytest.raises(SpecError, match="enhance = 0.5"):
        _lines({"enhance": 0.5})
    with pytest.raises(SpecError, match="enhance_c"):
        _lines({"enhance_c": 200})
    with pytest.raises(SpecError, match="takes: enhance, enhance_c"):
        _lines({"mX": 500})


@pytest.mark.slow
def test_pythia_accepts_the_settings() -> None:
    pythia8mc = pytest.importorskip("pythia8mc")
    pythia = pythia8mc.Pythia("", False)
    assert all(pythia.readString(line) for line in _lines())
    # the names of older manuals are gone: such a line would make init() abort
    assert not pythia.readString("Enhance:fsr:G2QQ = 4")


@pytest.mark.slow
def test_weighted_events_reach_the_file(tmp_path: Path) -> None:
    pytest.importorskip("pythia8mc")
    from hepreint import RunOptions, run
    from hepreint.generate import generate
    from hepreint.generate.run import PythiaRun
    from hepreint.io import read_events

    n, seed = 50, 3
    path = tmp_path / "tthf.hepmc3.gz"
    summary = generate("ttbar_hf", n, seed, path, prune=True)
    # the same seed again: Pythia's own event weights, to compare with the file's
    pythia_run = PythiaRun("ttbar_hf", seed, prune=True)
    expected = []
    for _ in range(n):
        pythia_run.next_record()
        expected.append(pythia_run.pythia.infoPython().weight())
    batches = list(read_events([path]))
    weights = np.concatenate([b.weights[:, 0] for b in batches])
    assert weights == pytest.approx(np.array(expected), rel=1e-12)
    assert np.all(weights > 0) and weights.std() > 0.05  # non-trivial, compensating weights
    assert 0.5 < weights.mean() < 1.5  # <w> = 1 in expectation: the shower keeps sigma
    assert batches[-1].xsec_pb == pytest.approx(summary.sigma_pb)

    res = run(_analysis(tmp_path), [path], RunOptions(seed=1))
    regions = res.yields.regions
    assert regions["ttb"].n[0] == n  # "all events"
    classified = sum(regions[r].n[-1] for r in ("ttb", "ttc", "ttlight"))
    assert classified == n  # every tt event is in exactly one class
    assert regions["ttb"].n[-1] > 0


def _analysis(tmp_path: Path) -> Path:
    d = tmp_path / "ttHF"
    d.mkdir()
    (d / "analysis.yaml").write_text(ANALYSIS)
    return d


@pytest.mark.slow
def test_classes_on_the_file_are_tt_classes(tmp_path: Path) -> None:
    pytest.importorskip("pythia8mc")
    from test_heavy_flavour import FakeInputs

    from hepreint.generate import generate
    from hepreint.io import read_events
    from hepreint.objects import kind, truth_view

    path = tmp_path / "tt.hepmc3"
    generate("ttbar_hf", 20, 5, path, prune=True)
    (batch,) = list(read_events([path]))
    hf = kind("ttbar_hf").build({}, FakeInputs(batch))
    classes = ak.to_numpy(hf.hf_class[:, 0])
    assert set(classes.tolist()) <= {1, 2, 3, 4, 5}
    tops = kind("truth_particle").build({"pid": 6}, FakeInputs(batch))
    assert ak.all(ak.num(tops) == 2)
    assert ak.all(truth_view(batch).pid[:, 0] == 2212)
