"""analyses/VHbbcc: the BDT surrogates and the calibrated likelihood.

Fast: each BDT card opens (sha256, graph against the card, its test vectors through onnxruntime)
and follows its recipe definition; the fitted regions are binned in the BDT of their category
and the VZ validation regions in the dijet mass; the likelihood maps them onto a workspace that
pyhf reads, fixes the SM strengths where a user's signal is fitted, and its sidecar records the
calibration and the cross-checks (which never include the number it was solved on). Slow:
pyhf's own CLI on the workspace; a small generated WH(bb) sample through the analysis with its
BDTs, then ``hepreint limits`` on it.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import hepreint
from hepreint.networks.card import parse_card
from hepreint.networks.session import load_network

ROOT = Path(__file__).resolve().parents[1]
VH = ROOT / "analyses" / "VHbbcc"
LIK = VH / "likelihood"
NETS = ("BDT_VH_0L", "BDT_VH_1L", "BDT_VH_2L")


@pytest.fixture(scope="module")
def raw() -> dict[str, Any]:
    return yaml.safe_load((VH / "analysis.yaml").read_text())


@pytest.fixture(scope="module")
def meta() -> dict[str, Any]:
    return json.loads((LIK / "workspace.meta.json").read_text())


@pytest.mark.parametrize("name", NETS)
def test_bdt_card_opens_and_passes_its_test_vectors(name: str) -> None:
    card = hepreint.load_analysis(VH).networks[name]
    net = load_network(card)  # raises on a sha256, graph or test-vector mismatch
    assert len(net.sessions) == 2 and card.output_names == ("VHbb", "VHcc", "VZ", "bkg")
    data = yaml.safe_load((VH / "networks" / f"{name}.yaml").read_text())
    assert data["surrogate"] is True and "NOT the ATLAS" in data["surrogate_note"]
    definition = yaml.safe_load((ROOT / "models" / "VHbbcc" / name / "definition.yaml").read_text())
    assert [f["expr"] for f in data["inputs"][0]["features"]] == [
        f["expr"] for f in definition["inputs"][0]["features"]
    ]
    metrics = data["provenance"]["metrics"]
    # held-out AUCs: the VH discriminants separate; the VZ one is recorded (it does not
    # separate on the small VZ sample, which is why the VZ regions use the dijet mass)
    for d in ("D_VHbb", "D_VHcc"):
        assert 0.6 < metrics["discriminant_auc"][d] <= 1.0, (name, d)
    assert 0.0 <= metrics["discriminant_auc"]["D_VZ"] <= 1.0
    assert data["provenance"]["command"] == f"python models/VHbbcc/recipe.py {name}"


def test_a_tampered_card_is_refused(tmp_path: Path) -> None:
    from hepreint.errors import NetworkError

    for f in (VH / "networks").glob("BDT_VH_1L*"):
        shutil.copy(f, tmp_path / f.name)
    card = yaml.safe_load((tmp_path / "BDT_VH_1L.yaml").read_text())
    card["test_vectors"]["cases"][0]["outputs"]["probabilities"][0][0] += 0.01
    (tmp_path / "BDT_VH_1L.yaml").write_text(yaml.safe_dump(card))
    ana = hepreint.load_analysis(VH)
    bad = parse_card(tmp_path / "BDT_VH_1L.yaml", {o.name for o in ana.objects}, set())
    with pytest.raises(NetworkError, match="test vector"):
        load_network(bad)


def test_fitted_regions_are_binned_in_their_bdt(raw: dict[str, Any]) -> None:
    regions = raw["regions"]
    for name, r in regions.items():
        if "_bb_SR_" in name:
            assert r["bins"]["variable"] == "D_bb", name
        elif name.endswith(("_cc2_SR", "_cc1_SR")):
            assert r["bins"]["variable"] == "D_cc", name
        elif name.endswith("_bb_VZ"):  # the VZ validation: the dijet mass (see D_vz)
            assert r["bins"]["variable"] == "m_bb", name
        elif name.endswith("_cc2_VZ"):
            assert r["bins"]["variable"] == "m_jj", name
    for var in ("D_bb", "D_cc", "D_vz"):
        assert "source" in raw["variables"][var]
    spec = hepreint.load_analysis(VH)
    assert set(spec.networks) == set(NETS)


def test_likelihood_maps_onto_the_workspace(raw: dict[str, Any]) -> None:
    from hepreint.stats import likelihood_spec, load_likelihood

    spec = likelihood_spec(hepreint.load_analysis(VH))
    lh = load_likelihood(spec)  # sidecar sha256 and schema checked
    ws = lh.workspace
    chans = {c["name"]: c for c in ws["channels"]}
    assert {c.channel for c in spec.channels} == set(chans)
    for c in spec.channels:
        samples = chans[c.channel]["samples"]
        assert all(len(s["data"]) == len(c.regions) for s in samples), c.channel
        assert {s["name"] for s in samples} == {"WH_bb", "ZH_bb", "VH_cc", "VZ", "background"}
    assert sum(len(c.regions) for c in spec.channels) == 49
    m = {x["name"]: x for x in ws["measurements"]}
    reint = {p["name"]: p for p in m["reinterpretation"]["config"]["parameters"]}
    assert m["reinterpretation"]["config"]["poi"] == "mu"
    for mu in ("mu_WHbb", "mu_ZHbb", "mu_VHcc", "mu_VZ"):  # SM processes are background here
        assert reint[mu]["fixed"] is True and reint[mu]["inits"] == [1.0]
    assert m["VH_SM"]["config"]["poi"] == "mu_WHbb"
    # the SM expectation is the observation: every bin's data = the sum of the samples
    obs = {o["name"]: o["data"] for o in ws["observations"]}
    for name, c in chans.items():
        total = [sum(s["data"][i] for s in c["samples"]) for i in range(len(obs[name]))]
        assert obs[name] == pytest.approx(total, rel=1e-9)


def test_calibration_is_recorded_with_its_crosschecks(meta: dict[str, Any]) -> None:
    assert meta["kind"] == "calibrated" and meta["label"] == "calibrated approximation"
    cal = meta["calibration"]
    assert cal["recipe"] == "models/VHbbcc/likelihood.py"
    assert cal["target"]["id"] == "WH_bb_significance"
    assert cal["solved"]["background_scale"] > 0
    assert cal["solved"]["scaled_samples"] == ["background"]
    ids = {c["id"] for c in cal["crosschecks"]}
    assert not any(i.startswith(cal["target"]["id"]) for i in ids), "solved on it: not a check"
    assert {"ZH_bb_significance.expected", "mu_cc_limit.expected", "mu_bb"} <= ids
    for c in cal["crosschecks"]:
        for key in ("predicted", "published"):
            if key in c:
                assert math.isfinite(c[key]) and c[key] > 0, c["id"]
    refs = {n["id"]: n for n in yaml.safe_load(
        (VH / "reference" / "published.yaml").read_text())["numbers"]}  # fmt: skip
    zh = next(c for c in cal["crosschecks"] if c["id"] == "ZH_bb_significance.expected")
    assert zh["published"] == refs["ZH_bb_significance"]["value"]["expected"]
    assert any("SURROGATE" in ch for ch in cal["choices"])


def test_calibrate_points_to_the_recipe() -> None:
    from hepreint.errors import LikelihoodError
    from hepreint.stats.calibrate import recipe

    with pytest.raises(LikelihoodError, match="models/VHbbcc/likelihood.py"):
        recipe(hepreint.load_analysis(VH))


@pytest.mark.slow
def test_pyhf_cli_reads_the_workspace() -> None:
    """The consumer: pyhf's own CLI inspects the workspace and fits its SM measurement."""
    pyhf = shutil.which("pyhf") or f"{sys.executable} -m pyhf"
    cmd = pyhf.split()
    r = subprocess.run([*cmd, "inspect", str(LIK / "workspace.json")], capture_output=True,
                       text=True, timeout=300)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "mu_WHbb" in r.stdout and "reinterpretation" in r.stdout
    r = subprocess.run([*cmd, "cls", str(LIK / "workspace.json"), "--measurement", "VH_SM"],
                       capture_output=True, text=True, timeout=600)  # fmt: skip
    assert r.returncode == 0, r.stderr
    cls = json.loads(r.stdout)
    # the observations are the SM expectation (mu_WHbb = 1): CLs at mu = 1 is far from 0
    assert 0.2 < cls["CLs_obs"] <= 1.0


@pytest.mark.slow
def test_run_and_limits_on_a_small_wh_sample(tmp_path: Path) -> None:
    pytest.importorskip("pythia8mc")
    from hepreint.generate import generate
    from hepreint.stats import compute_limits

    f = tmp_path / "wh.hepmc3.gz"
    generate("WH_bb", 300, 31, f, prune=True)
    ana = hepreint.load_analysis(VH)
    res = hepreint.run(ana, [f], hepreint.RunOptions(seed=3, tagging="truth"))
    doc = res.to_dict()
    assert any("SURROGATE" in w or "surrogate" in w.lower() for w in doc.get("warnings", [])) or (
        doc["provenance"].get("networks"))  # fmt: skip
    regions = doc["regions"]
    assert sum(regions[f"L1_bb_SR_{p}_bin{i}"]["raw"] for p in ("150_250", "250_400")
               for i in range(4)) > 0  # fmt: skip
    lim = compute_limits(doc, ana)
    assert lim.label == "calibrated approximation"
    assert lim.mu_limit_exp is not None and 0 < lim.mu_limit_exp["median"] < math.inf
    assert any("single-region S95 not computed" in w for w in lim.warnings)
