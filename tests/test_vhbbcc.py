"""analyses/VHbbcc: the ATLAS VH(bb/cc) legacy selection (arXiv:2410.19611).

Fast: the spec loads, is listed, its regions cover channels x jets x categories x Delta R
regions with the published pT(V) edges, every cut and derived number cites a source, and the
truth STXS regions partition the events (on the shipped ttH example at truth level). Slow: small
WH(bb), ZH(bb) and ZH(cc) samples through the analysis at detector and truth level: the channels
get the events their V decays allow, and truth tagging agrees with direct tagging on the 2-b and
the 2-c categories within the binomial spread of the direct tags. The BDTs and the likelihood
are tested in tests/test_vhbbcc_bdt_likelihood.py.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import hepreint
from hepreint.analysis.catalog import list_analyses
from hepreint.cli import cli

ROOT = Path(__file__).resolve().parents[1]
VH = ROOT / "analyses" / "VHbbcc"
EXAMPLE = ROOT / "examples" / "ttH_pruned.hepmc3.gz"

CHANNELS = {"L0": ("2j", "3j"), "L1": ("2j", "3j"), "L2": ("2j", "3pj")}
CATEGORIES = ("bb", "ccTT", "ccTL", "cc1T")
DR_REGIONS = ("SR", "CRlow", "CRhigh")
PTV_EDGES = {"L0": [150, 250, 400], "L1": [150, 250, 400], "L2": [75, 150, 250, 400]}
#: the 13 measured STXS regions of analysis.yaml (the split is chosen, README.md)
STXS_MEASURED = (
    [f"stxs_WH_{b}" for b in ("75_150", "150_250_0j", "150_250_ge1j", "250_400", "400_600")]
    + ["stxs_WH_ge600"]
    + [f"stxs_ZH_{b}" for b in ("75_150_0j", "75_150_ge1j", "150_250_0j", "150_250_ge1j")]
    + ["stxs_ZH_250_400", "stxs_ZH_400_600", "stxs_ZH_ge600"]
)
STXS_PARTITION = [*STXS_MEASURED, "stxs_WH_lt75", "stxs_ZH_lt75", "stxs_forward"]


@pytest.fixture(scope="module")
def spec() -> hepreint.Analysis:
    return hepreint.load_analysis(VH)


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load((VH / "analysis.yaml").read_text())


def test_spec_loads_and_is_listed(spec: hepreint.Analysis, raw: dict[str, Any]) -> None:
    assert VH in list_analyses()
    assert raw["metadata"]["status"] == "unvalidated" and raw["metadata"]["arxiv"] == "2410.19611"
    assert set(raw["networks"]) == {"BDT_VH_0L", "BDT_VH_1L", "BDT_VH_2L"}
    assert raw["likelihood"]["kind"] == "calibrated"
    r = CliRunner().invoke(cli, ["list"])
    assert r.exit_code == 0
    line = next(x for x in r.output.splitlines() if x.startswith("VHbbcc "))
    assert "2410.19611" in line and "unvalidated" in line
    readme = (VH / "README.md").read_text()
    assert "SURROGATE" in readme and "calibrated approximation" in readme


def test_regions_cover_channels_jets_categories(raw: dict[str, Any]) -> None:
    regions = raw["regions"]
    for ch, njets in CHANNELS.items():
        assert f"{ch}_resolved" in regions and f"{ch}_boosted" in regions
        for nj in njets:
            for cat in CATEGORIES:
                for dr in DR_REGIONS:
                    name = f"{ch}_{nj}_{cat}_{dr}"
                    assert name in regions, name
                    assert regions[name]["bins"]["variable"] == "pTV"
                    assert regions[name]["bins"]["edges"] == PTV_EDGES[ch], name
                    assert regions[name]["bins"]["overflow"] is False
        assert regions[f"{ch}_boosted"]["bins"]["edges"] == [250, 400]
        assert regions[f"{ch}_boosted"]["bins"]["overflow"] is True
    for ch in ("L0", "L1"):
        assert {f"{ch}_boosted_HP", f"{ch}_boosted_LP"} <= set(regions)
    # channel cuts: MET trigger and MET > 150 GeV (0-lepton), Z window (2-lepton)
    assert {"trigger_0l", "met_150", "ht_0l", "mindphi_0l"} <= set(regions["L0_resolved"]["cuts"])
    assert "mll_z" in regions["L2_resolved"]["cuts"]
    assert raw["cuts"]["two_b"]["tags"] == {"collection": "jets", "exactly": {70: 2}}
    assert raw["cuts"]["b_veto"]["tags"] == {"collection": "jets", "at_most": {70: 0}}
    # the 0-lepton anti-multijet cuts sit in the 0-lepton category regions only
    assert "dphi_met_h_bb" in regions["L0_2j_bb"]["cuts"]
    assert "dphi_met_h_bb" not in regions["L1_2j_bb"]["cuts"]
    assert len(STXS_MEASURED) == 13
    assert set(STXS_PARTITION) <= set(regions)


def test_every_number_cites_a_source(raw: dict[str, Any]) -> None:
    for name, cut in raw["cuts"].items():
        assert isinstance(cut, dict) and "source" in cut, f"cut {name} has no source"
    for name, obj in raw["objects"].items():
        if "merge" not in obj:
            assert "source" in obj, f"object {name} has no source"
    for name in ("pTV", "dR_upper", "dR_lower", "p_ct1", "p_cl1", "nb_J", "truth_pTV"):
        assert "source" in raw["variables"][name], name
    for name in ("dR_upper", "dR_lower", "p_cl1"):
        assert "trust C" in raw["variables"][name]["source"], name


def test_ctag_weights_are_probabilities(raw: dict[str, Any]) -> None:
    """The H->cc category weights of two jets of any flavours: each in [0, 1], sum <= 1."""
    import re

    def probs(var: str) -> dict[str, float]:
        nums = [float(x) for x in re.findall(r", (0\.\d+)", raw["variables"][var]["expr"])]
        return {"c": nums[0], "b": nums[1], "light": nums[2]}

    ct, cl = probs("p_ct1"), probs("p_cl1")
    assert probs("p_ct2") == ct and probs("p_cl2") == cl
    assert ct["c"] > ct["b"] > ct["light"] and cl["c"] > cl["light"]
    for f1 in ct:
        for f2 in ct:
            tt = ct[f1] * ct[f2]
            tl = ct[f1] * cl[f2] + cl[f1] * ct[f2]
            one = ct[f1] * (1 - ct[f2] - cl[f2]) + (1 - ct[f1] - cl[f1]) * ct[f2]
            assert all(0 <= w <= 1 for w in (tt, tl, one)) and tt + tl + one <= 1


def _regions(res: hepreint.Results) -> dict[str, Any]:
    return res.to_dict()["regions"]


def _sumw(regions: dict[str, Any], name: str, step: str | None = None) -> tuple[float, float]:
    flow = regions[name]["cutflow"]
    row = flow[-1] if step is None else next(s for s in flow if s["step"] == step)
    return row["sumw"], row["sumw2"]


def _assert_stxs_partition(regions: dict[str, Any]) -> None:
    total = _sumw(regions, "stxs_all")[0]
    assert total > 0
    assert sum(_sumw(regions, n)[0] for n in STXS_PARTITION) == pytest.approx(total)


def test_stxs_partition_on_example(spec: hepreint.Analysis) -> None:
    """Every event with a Higgs boson is in exactly one STXS region (ttH example, truth level)."""
    res = hepreint.run(spec, [EXAMPLE], hepreint.RunOptions(detectors=("truth",)))
    regions = _regions(res)
    _assert_stxs_partition(regions)
    assert _sumw(regions, "stxs_all")[0] == 130


def _channel_sum(regions: dict[str, Any], ch: str) -> float:
    return _sumw(regions, f"{ch}_resolved")[0]


@pytest.mark.slow
def test_small_wh_zh_samples(tmp_path: Path, spec: hepreint.Analysis) -> None:
    """150 WH(bb) + 150 ZH(bb) events: W events in 1-lepton, Z events in 0/2-lepton, none of
    the W events in 2-lepton; STXS partitions both; truth tagging = direct tagging on the 2-b
    category within the binomial spread of the direct tags, and on the 2-c category (the b-veto
    is the tag requirement there; the c-tags are weights in both) on 200 ZH(cc) events."""
    pytest.importorskip("pythia8mc")
    from hepreint.generate import generate

    files = {}
    for proc, seed, n in (("WH_bb", 21, 150), ("ZH_bb", 22, 150), ("ZH_cc", 23, 200)):
        files[proc] = tmp_path / f"{proc}.hepmc3.gz"
        generate(proc, n, seed, files[proc], prune=True)

    def run(proc: str, **kw: Any) -> dict[str, Any]:
        return _regions(hepreint.run(spec, [files[proc]], hepreint.RunOptions(seed=5, **kw)))

    for detector in ("atlas-run2", "truth"):
        wh, zh = run("WH_bb", detectors=(detector,)), run("ZH_bb", detectors=(detector,))
        assert _channel_sum(wh, "L1") > 0, detector
        assert _channel_sum(wh, "L2") == 0, detector
        assert _channel_sum(zh, "L0") > 0 and _channel_sum(zh, "L2") > 0, detector
        for regions, v in ((wh, "WH"), (zh, "ZH")):
            _assert_stxs_partition(regions)
            other = "ZH" if v == "WH" else "WH"
            assert sum(_sumw(regions, n)[0] for n in STXS_PARTITION if other in n) == 0
    # the 2-b category at the tag step, all channels and jet multiplicities (disjoint events)
    bb = [f"{ch}_{nj}_bb" for ch, njs in CHANNELS.items() for nj in njs]
    for proc in ("WH_bb", "ZH_bb"):
        direct, truth = run(proc, tagging="direct"), run(proc, tagging="truth")
        n_direct = sum(_sumw(direct, r, "two_b")[0] for r in bb)
        s, s2 = (sum(x) for x in zip(*(_sumw(truth, r, "two_b") for r in bb), strict=True))
        # truth tagging weights each event by p = P(2 tags); direct tags count Bernoulli(p)
        # draws: variance sum p (1 - p) = s - s2 (unit event weights)
        sigma = math.sqrt(max(s - s2, 0.0))
        assert s > 0 and abs(n_direct - s) < 3 * sigma, (proc, n_direct, s, sigma)
    # the 2-c category (ccTT + ccTL weights) at its weight step, the three channels (disjoint)
    cc = [f"{ch}_cc2_SR_bin0" for ch in CHANNELS]  # its cut-flow holds the unbinned steps
    direct, truth = run("ZH_cc", tagging="direct"), run("ZH_cc", tagging="truth")
    d, d2 = (sum(x) for x in zip(*(_sumw(direct, r, "cc_2c") for r in cc), strict=True))
    t, t2 = (sum(x) for x in zip(*(_sumw(truth, r, "cc_2c") for r in cc), strict=True))
    # event weight w (the c-tag probability) times the b-veto: truth w p, direct w Bernoulli(p);
    # variance sum w^2 p (1 - p) = E[direct sumw2] - truth sumw2
    sigma = math.sqrt(max(d2 - t2, 0.0)) + 1e-9
    assert t > 0 and abs(d - t) < 3 * sigma + 0.05 * t, (d, t, sigma)
