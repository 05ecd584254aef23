"""The preserved HH→4b analyses (analyses/HH4b, analyses/HH4b_2018) and their functions.

Fast: the specs load and are listed; the X_HH centres of the non-resonant (124/117), resonant
(120/110) and 2018 (120/110) selections, read from the loaded specs, vanish at their own centre
and not at the other's; the top veto, as the spec writes it, removes a hand-built tt̄-like event
and keeps an HH-like one; the 2018 pairing and ΔR windows, the VBF pair and the track-jet tag
count on hand-built events; the validation table covers every published step and the region
has all six steps of arXiv:1804.06174. Slow: both specs run on small Pythia samples.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import awkward as ak
import numpy as np
import pytest
import vector
from click.testing import CliRunner

from hepreint.analysis.catalog import list_analyses
from hepreint.analysis.expr import Scope, compile_expression
from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.cli import cli

ROOT = Path(__file__).resolve().parents[1]
HH4B = ROOT / "analyses" / "HH4b"
HH4B_2018 = ROOT / "analyses" / "HH4b_2018"


def expr_of(ana: Analysis, kind: str, name: str) -> str:
    v = ana.raw[kind][name]
    return v if isinstance(v, str) else v["expr"]


def p4(pt: float, eta: float, phi: float, m: float = 0.0) -> dict[str, float]:
    v = vector.obj(pt=pt, eta=eta, phi=phi, mass=m)
    return {"px": v.px, "py": v.py, "pz": v.pz, "E": v.E}


def coll(events: list[list[dict[str, float]]], **extra: list[list[Any]]) -> ak.Array:
    arr = ak.Array(events)
    fields = {k: arr[k] for k in ("px", "py", "pz", "E")}
    fields.update({k: ak.Array(v) for k, v in extra.items()})
    return ak.zip(fields, with_name="Momentum4D")


@pytest.fixture(scope="module")
def specs() -> dict[str, Analysis]:
    return {"HH4b": load_analysis(HH4B), "HH4b_2018": load_analysis(HH4B_2018)}


def test_specs_load_and_are_listed(specs: dict[str, Analysis]) -> None:
    names = {p.name for p in list_analyses()}
    assert {"HH4b", "HH4b_2018"} <= names
    r = CliRunner().invoke(cli, ["list"])
    assert r.exit_code == 0
    for name, arxiv in (("HH4b", "2301.03212"), ("HH4b_2018", "1804.06174")):
        line = next(x for x in r.output.splitlines() if x.startswith(name + " "))
        assert arxiv in line and "unvalidated" in line
    assert specs["HH4b"].raw["parameters"]["mX"]["default"] == 500
    regions = set(specs["HH4b"].raw["regions"])
    assert {"SR_ggF", "SR_VBF", "CR_ggF", "res_resolved", "res_boosted_4b"} <= regions
    assert sum(r.startswith("SR_ggF_dEta") for r in regions) == 6


def _xhh(ana: Analysis, name: str, m1: str, m2: str, a: float, b: float) -> float:
    f = compile_expression(expr_of(ana, "variables", name), {m1, m2})
    return float(np.asarray(f(Scope({m1: np.array([a]), m2: np.array([b])})))[0])


def test_xhh_centres_differ_between_the_searches(specs: dict[str, Analysis]) -> None:
    hh, old = specs["HH4b"], specs["HH4b_2018"]
    nonres = ("X_HH", "m_H1", "m_H2")
    res = ("X_HH_res", "m_H1_res", "m_H2_res")
    assert _xhh(hh, *nonres, 124, 117) == pytest.approx(0.0, abs=1e-12)
    assert _xhh(hh, *res, 120, 110) == pytest.approx(0.0, abs=1e-12)
    assert _xhh(old, "X_HH", "m_H1", "m_H2", 120, 110) == pytest.approx(0.0, abs=1e-12)
    # each is off at the other's centre: ((124-120)/12.4)^2 + ((117-110)/11.7)^2 etc.
    assert _xhh(hh, *nonres, 120, 110) == pytest.approx(math.hypot(4 / 12.0, 7 / 11.0))
    assert _xhh(hh, *res, 124, 117) == pytest.approx(math.hypot(4 / 12.4, 7 / 11.7))
    assert _xhh(hh, *res, 124, 117) > 0.5


def _top_event() -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """A t → b W(→ q q̄) with m_W = 80.4, m_t = 172.5 GeV among three other b-jets."""
    q1 = vector.obj(pt=60.0, eta=0.0, phi=0.0, mass=0.0)
    cos = 1 - 80.4**2 / (2 * 60.0 * 60.0)
    q2 = vector.obj(pt=60.0, eta=0.0, phi=math.acos(cos), mass=0.0)
    w: Any = q1 + q2
    # b along phi = pi: m_t^2 = m_W^2 + 2 p_b (E_W - p_W . n)
    n = vector.obj(px=-1.0, py=0.0, pz=0.0)
    pb = (172.5**2 - w.mass**2) / (2 * (w.E - (w.px * n.px + w.py * n.py + w.pz * n.pz)))
    b_top = p4(pb, 0.0, math.pi)
    others = [p4(120, 1.2, 1.0), p4(90, -1.0, -2.0), p4(70, 2.0, 2.5)]
    bjets = [b_top, *others]
    light = [p4(60.0, 0.0, 0.0), p4(60.0, 0.0, math.acos(cos))]
    return [*bjets, *light], bjets


def _hh_event() -> tuple[list[dict[str, float]], list[dict[str, float]]]:
    """Two back-to-back h → b b̄ pairs (m ≈ 125 GeV), no other jet."""
    # two massless jets of pT 150 at dphi such that m = 125: m^2 = 2 pT^2 (cosh deta - cos dphi)
    dphi = math.acos(1 - 125.0**2 / (2 * 150.0**2))
    h1 = [p4(150, 0.3, 0.0), p4(150, 0.3, dphi)]
    h2 = [p4(150, -0.3, math.pi), p4(150, -0.3, math.pi + dphi)]
    jets = [*h1, *h2]
    return jets, jets


def test_top_veto_removes_ttbar_like_and_keeps_hh_like(specs: dict[str, Analysis]) -> None:
    (tj, tb), (hj, hb) = _top_event(), _hh_event()
    jets, bjets = coll([tj, hj]), coll([tb, hb])
    cases = ((specs["HH4b"], "X_Wt", "top_veto"), (specs["HH4b_2018"], "X_Wt", "x_wt_veto"))
    for ana, var, cut in cases:
        x = compile_expression(expr_of(ana, "variables", var), {"jets", "bjets"})(
            Scope({"jets": jets, "bjets": bjets})
        )
        x = np.asarray(x)
        assert x[0] == pytest.approx(0.0, abs=1e-6)  # the built top: m_W, m_t exact
        assert x[1] > 1.5
        keep = compile_expression(expr_of(ana, "cuts", cut), {var})(Scope({var: x}))
        assert list(np.asarray(keep)) == [False, True]


def test_x_wt_needs_a_top_candidate() -> None:
    from hepreint.analysis.functions_hh import NO_TOP, x_wt

    # three jets, all HC b-jets, but the veto looks for b + two *other* jets: one candidate each
    three = coll([[p4(100, 0, 0), p4(80, 1, 2), p4(60, -1, 4)]])
    assert np.isfinite(np.asarray(x_wt(three, three))[0])
    two = coll([[p4(100, 0, 0), p4(80, 1, 2)]])
    assert np.asarray(x_wt(two, two))[0] == NO_TOP  # no top candidate: the veto keeps it


def test_pair_dhh_2018_windows_and_choice() -> None:
    from hepreint.analysis.functions_hh import pair_dhh_2018

    hj = _hh_event()[1]
    # reorder so the right pairing is not the first one tried
    hj = [hj[0], hj[2], hj[1], hj[3]]
    far = [p4(100, -2.0, 0.0), p4(90, 2.0, 1.6), p4(80, -2.0, 3.2), p4(70, 2.0, 4.8)]
    h = pair_dhh_2018(coll([hj, far]))
    assert h[0, 0].mass == pytest.approx(125.0, rel=1e-6)
    assert h[0, 1].mass == pytest.approx(125.0, rel=1e-6)
    # every pairing of widely separated jets fails the m4j-dependent dR windows: no candidates
    assert h[1, 0] is None and h[1, 1] is None


def test_vbf_pair_skips_hc_jets_and_ntag_near_counts() -> None:
    from hepreint.analysis.functions_hh import ntag_near, vbf_pair

    hc = _hh_event()[1]
    fwd = [*hc, p4(50, 3.5, 0.0), p4(40, -3.5, 3.0), p4(35, 0.1, 1.0)]
    pair = vbf_pair(coll([fwd]), coll([hc]))
    etas = sorted(float(pair[0, i].eta) for i in range(2))
    assert etas == pytest.approx([-3.5, 3.5])  # the largest-mass pair outside the HC jets
    large = coll([[p4(500, 0.0, 0.0, 125.0)]])
    tracks = coll(
        [[p4(200, 0.1, 0.1), p4(150, -0.1, -0.1), p4(30, 0.2, 0.0), p4(50, 2.0, 2.0)]],
        btag77=[[True, False, True, True]],
    )
    # within dR < 1: the first three; of the leading two only the first is tagged
    assert int(ntag_near(large[:, 0], tracks, 1.0, 2, "btag77")[0]) == 1
    assert int(ntag_near(large[:, 0], tracks, 1.0, 3, "btag77")[0]) == 2


def test_validation_covers_every_published_step(specs: dict[str, Analysis]) -> None:
    import yaml

    from hepreint.validation.reference import load_references

    ana = specs["HH4b_2018"]
    steps = ana.raw["regions"]["resolved"]["cuts"]
    # every step of arXiv:1804.06174's cut-flow, in its order (4b, dR, pT, eta, Xhh, XWt)
    assert steps == ["trigger", "four_b", "dR_windows", "pt_hc", "deta_hh", "x_hh", "x_wt_veto"]
    layout = {"resolved": ["all events", *steps]}
    refs = load_references(ana.directory, ana.raw["validation"], layout, lambda k: "analysis.yaml")
    published = yaml.safe_load((HH4B_2018 / "reference" / "published.yaml").read_text())
    table = next(t for t in published["tables"] if t["id"] == "pred36.sm_ggF_cutflow")
    assert {e.label for e in refs.entries} == {str(e["step"]) for e in table["entries"]}
    assert {e.step for e in refs.entries} == {"four_b", "dR_windows", "deta_hh", "x_hh"}
    assert ana.raw["validation"]["relative_tolerance"] == 0.3


# ---------------------------------------------------------------- on generated events


@pytest.fixture(scope="module")
def xhh500(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("pythia8mc")
    from hepreint.generate import generate

    path = tmp_path_factory.mktemp("hh4b") / "xhh500.hepmc3"
    generate("X_HH_4b", 150, 21, path, params={"mX": 500.0}, prune=True)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("detector", ["atlas-run2", "truth"])
def test_specs_run_on_generated_signal(xhh500: Path, detector: str) -> None:
    from hepreint import RunOptions, run

    opts = RunOptions(seed=3, detectors=(detector,))
    regions = run(HH4B, [xhh500], opts, params={"mX": 500.0}).to_dict()["regions"]
    for name in ("SR_ggF", "CR_ggF", "res_resolved_mX", "res_boosted_4b", "SR_ggF_dEta1_XHHlo"):
        key = next(k for k in regions if k == name or k.startswith(name + "@"))
        raws = [s["raw"] for s in regions[key]["cutflow"]]
        assert raws[0] == 150 and all(a >= b for a, b in zip(raws, raws[1:], strict=False))
    pre = next(v for k, v in regions.items() if k.split("@")[0] == "nonres_preselection")
    assert pre["cutflow"][2]["raw"] > 0  # some events have >= 4 b-tags
    odoc = run(HH4B_2018, [xhh500], opts).to_dict()
    key = next(k for k in odoc["regions"] if k.split("@")[0] == "resolved")
    steps = [s["step"] for s in odoc["regions"][key]["cutflow"]]
    assert steps[1:] == ["trigger", "four_b", "dR_windows", "pt_hc", "deta_hh", "x_hh", "x_wt_veto"]


def test_lo_reweighting_table() -> None:
    """The cited LO table: SM weights r(1) = 1 per bin; its total κλ dependence agrees with the
    same package's separately fitted total (2.09078 − 1.37309 κλ + 0.282307 κλ², NonResonantModel
    A13tev) to 15 % (11 % at the minimum, κλ = 2.4); weights_to_sm makes a sample's m_HH
    histogram the SM one."""
    from hepreint.generate import hh_reweight as rw

    rng = np.random.default_rng(1)
    m = rng.uniform(250, 1200, 20000)
    c = rng.uniform(-1, 1, 20000)
    basis = rw.kl_basis(m, c)
    assert np.allclose(basis.sum(axis=1), 1.0)
    t = rw.lo_total_quadratic()
    for k in (-5.0, 0.0, 2.4, 5.0, 10.0):
        ref = 2.09078 - 1.37309 * k + 0.282307 * k * k
        assert t[0] + t[1] * k + t[2] * k * k == pytest.approx(ref, rel=0.15)
    w = rw.weights_to_sm(m)
    assert w.sum() == pytest.approx(len(m))
    im = np.clip(np.searchsorted(rw.MHH_EDGES, m, side="right") - 1, 0, len(rw.MHH_EDGES) - 2)
    hist = np.bincount(im, weights=w, minlength=len(rw.MHH_EDGES) - 1) / len(m)
    assert hist == pytest.approx(rw.sm_mhh_fractions(), abs=1e-12)
    assert rw.empty_sm_fraction(m) == 0.0
    assert rw.empty_sm_fraction(np.array([900.0])) == pytest.approx(1 - rw.sm_mhh_fractions()[-1])
    h1 = vector.array({"pt": [100.0], "eta": [0.5], "phi": [0.0], "mass": [125.0]})
    h2 = vector.array({"pt": [100.0], "eta": [-0.5], "phi": [math.pi], "mass": [125.0]})
    assert rw.cos_theta_star(h1, h2)[0] == pytest.approx(math.tanh(0.5), rel=1e-6)
