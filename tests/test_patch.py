"""The signal as a pyhf JSON Patch / PatchSet: applied by pyhf alone, it gives back our yields.

Checks (exact unless said): the patched model's signal sample holds the results' region yields
and MC-stat errors; the patch turns the background workspace into the very spec ``hepreint
limits`` fits, so CLs(μ = 1) from the patched file equals limits.json's (rel 1e-9: same fit);
the patchset validates against pyhf's schema and digest; files round-trip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyhf
import pytest
import yaml
from click.testing import CliRunner

import hepreint
from hepreint.analysis.spec import load_analysis
from hepreint.cli.export import export
from hepreint.errors import HepreintError
from hepreint.export.pyhf import (
    PATCH_FILE,
    PATCHSET_FILE,
    signal_model,
    signal_patch,
    write_pyhf,
)
from hepreint.stats import compute_limits

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"


@pytest.fixture(scope="module")
def tth_results(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    res = hepreint.run(hepreint.load_analysis(TTH), [str(example_sample)], hepreint.RunOptions())
    return res.write(tmp_path_factory.mktemp("run"))


def _signal(model: pyhf.pdf.Model, pars: Any, sample: str = "signal") -> dict[str, list[float]]:
    """Per channel, the expected yields of ``sample`` at ``pars`` (μ = 1: the nominal yields)."""
    per_sample = model.main_model.expected_data(pars, return_by_sample=True)
    i = model.config.samples.index(sample)
    return {
        ch: list(per_sample[i][model.config.channel_slices[ch]]) for ch in model.config.channels
    }


@pytest.mark.slow
def test_tthbb_patch_round_trip(tth_results: Path, tmp_path: Path) -> None:
    doc = json.loads(tth_results.read_text())
    ana = load_analysis(TTH)
    sp = signal_patch(doc, ana)
    paths = sp.write(tmp_path)
    assert [p.name for p in paths] == [PATCH_FILE, PATCHSET_FILE]
    patch = json.loads((tmp_path / PATCH_FILE).read_text())
    ps_doc = json.loads((tmp_path / PATCHSET_FILE).read_text())
    assert patch == sp.patch and ps_doc == sp.patchset
    assert all(op["op"] in ("add", "remove") for op in patch)

    # the background-only workspace as shipped, digest as pyhf computes it
    bkg = json.loads((TTH / "likelihood" / "workspace.json").read_text())
    assert ps_doc["metadata"]["digests"]["sha256"] == pyhf.utils.digest(bkg)
    assert ps_doc["metadata"]["labels"] == ["sample"]
    assert ps_doc["patches"][0]["metadata"]["values"] == ["ttH_pruned"]
    assert "calibrated approximation" in ps_doc["metadata"]["description"]

    # (a) the bare patch through Workspace.model(patches=...)
    ws = pyhf.Workspace(bkg)
    model = ws.model(patches=[patch])
    assert model.config.poi_name == "mu"
    got = _signal(model, model.config.suggested_init())
    regions = doc["regions"]
    assert got == {
        "SR_1l": [regions["SR_1l_all"]["yield"]],
        "SR_2l": [regions["SR_2l_all"]["yield"]],
    }

    # (b) the patchset: pyhf validates it on construction and checks the digest on apply
    ps = pyhf.PatchSet(ps_doc)
    patched = ps.apply(ws, ("ttH_pruned",))
    assert patched == ps.apply(ws, ps_doc["patches"][0]["metadata"]["name"])
    sig = next(
        s
        for c in patched["channels"]
        if c["name"] == "SR_1l"
        for s in c["samples"]
        if s["name"] == "signal"
    )
    assert sig["data"] == [regions["SR_1l_all"]["yield"]]
    stat = next(m for m in sig["modifiers"] if m["type"] == "staterror")
    assert stat["data"] == [regions["SR_1l_all"]["yield_stat"]]
    other = json.loads(json.dumps(bkg))
    other["observations"][0]["data"] = [1.0]
    with pytest.raises(pyhf.exceptions.PatchSetVerificationError):
        ps.apply(pyhf.Workspace(other), ("ttH_pruned",))

    # the patched workspace is exactly what hepreint limits fits: same CLs
    assert dict(patched) == signal_model(doc, ana).workspace
    lim = compute_limits(doc, ana, per_region=False)
    m = patched.model()
    cls = pyhf.infer.hypotest(1.0, patched.data(m), m, test_stat="qtilde")
    assert float(cls) == pytest.approx(lim.cls_obs, rel=1e-9)


def test_export_format_pyhf_and_all(tth_results: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(
        export, [str(tth_results), "--format", "pyhf", "-o", str(tmp_path / "p")]
    )
    assert r.exit_code == 0, r.output
    assert str(tmp_path / "p" / PATCHSET_FILE) in r.output.splitlines()
    pyhf.PatchSet(json.loads((tmp_path / "p" / PATCHSET_FILE).read_text()))
    r = CliRunner().invoke(export, [str(tth_results), "--format", "all", "-o", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "a" / "pyhf" / PATCH_FILE).is_file()
    assert (tmp_path / "a" / "yoda" / "ttHbb.yoda").is_file()


# ---------------------------------------------------------------- a toy analysis with mX

TOY = {
    "schema": "hepreint-analysis/1",
    "metadata": {
        "name": "ToyX",
        "title": "toy resonance",
        "experiment": "ATLAS",
        "arxiv": "0000.00000",
        "inspire": 1234567,
        "sqrt_s_TeV": 13,
        "luminosity_fb": 140,
        "status": "test",
    },
    "parameters": {"mX": {"default": 500, "unit": "GeV"}},
    "objects": {"jets": {"type": "jet", "R": 0.4, "pt_min": 25, "source": "test"}},
    "variables": {"n_jets": "count(jets)"},
    "cuts": {"one": "n_jets >= 1", "two": "n_jets >= 2"},
    "regions": {"SRA": {"cuts": ["one"]}, "SRB": {"cuts": ["two"]}},
}


def bkg_only() -> dict[str, Any]:
    """HEPData-like: SR with two bins, a CR, a published signal added by a patchset."""
    b = {
        "name": "bkg",
        "data": [20.0, 8.0],
        "modifiers": [
            {"name": "bkg_norm", "type": "normfactor", "data": None},
            {"name": "unc", "type": "shapesys", "data": [2.0, 1.0]},
        ],
    }
    return {
        "channels": [
            {
                "name": "CR",
                "samples": [
                    {
                        "name": "bkg",
                        "data": [300.0],
                        "modifiers": [{"name": "bkg_norm", "type": "normfactor", "data": None}],
                    }
                ],
            },
            {"name": "SR", "samples": [b]},
        ],
        "observations": [{"name": "CR", "data": [310.0]}, {"name": "SR", "data": [22.0, 7.0]}],
        "measurements": [{"name": "meas", "config": {"poi": "mu_sig", "parameters": []}}],
        "version": "1.0.0",
    }


def published_patchset(ws: dict[str, Any]) -> dict[str, Any]:
    sig = {
        "name": "sig",
        "data": [5.0, 1.0],
        "modifiers": [{"name": "mu_sig", "type": "normfactor", "data": None}],
    }
    return {
        "metadata": {
            "references": {"hepdata": "ins7654321"},
            "description": "published",
            "digests": {"sha256": pyhf.utils.digest(ws)},
            "labels": ["mX"],
        },
        "patches": [
            {
                "metadata": {"name": "mX_1000", "values": [1000]},
                "patch": [{"op": "add", "path": "/channels/1/samples/1", "value": sig}],
            }
        ],
        "version": "1.0.0",
    }


def toy(tmp: Path, likelihood: dict[str, Any] | None) -> Path:
    d = tmp / "ToyX"
    (d / "likelihood").mkdir(parents=True)
    ws = bkg_only()
    (d / "likelihood" / "BkgOnly.json").write_text(json.dumps(ws))
    (d / "likelihood" / "patchset.json").write_text(json.dumps(published_patchset(ws)))
    raw = {**TOY, "likelihood": likelihood} if likelihood else TOY
    (d / "analysis.yaml").write_text(yaml.safe_dump(raw))
    return d


def toy_doc(d: Path, normalised: bool = True) -> dict[str, Any]:
    return {
        "status": "complete",
        "analysis": {"name": "ToyX", "parameters": {"mX": 700.0}, "directory": str(d)},
        "normalisation": {"normalised": normalised, "xsec_pb": 0.01, "luminosity_fb": 140.0},
        "regions": {
            "SRA": {"yield": 6.5, "yield_stat": 0.7, "raw": 400},
            "SRB": {"yield": 2.25, "yield_stat": 0.3, "raw": 150},
        },
    }


PUBLISHED = {
    "kind": "published",
    "workspace": "likelihood/BkgOnly.json",
    "patchset": "likelihood/patchset.json",
    "patch": "mX_1000",
    "signal_sample": "sig",
    "source": "toy",
    "channels": {"SR": {"regions": ["SRA", "SRB"]}},
}


def test_published_patch_applies_to_the_bkgonly_file(tmp_path: Path) -> None:
    """On a published patchset, our patch replays the published patch, then swaps the signal:
    it applies to HEPData's BkgOnly.json, labelled by the analysis parameters."""
    d = toy(tmp_path, PUBLISHED)
    doc = toy_doc(d)
    sp = signal_patch(doc, load_analysis(d))
    bkg = bkg_only()
    assert sp.patchset["metadata"]["labels"] == ["mX"]
    assert sp.patchset["metadata"]["references"] == {"hepdata": "ins1234567"}
    assert sp.patchset["patches"][0]["metadata"] == {"name": "ToyX_mX700", "values": [700.0]}
    ps = pyhf.PatchSet(json.loads(json.dumps(sp.patchset)))
    patched = ps.apply(pyhf.Workspace(bkg), (700.0,))
    sr = next(c for c in patched["channels"] if c["name"] == "SR")
    assert [s["name"] for s in sr["samples"]] == ["bkg", "sig"]  # the published signal replaced
    assert sr["samples"][1]["data"] == [6.5, 2.25]
    cr = next(c for c in patched["channels"] if c["name"] == "CR")
    assert [s["name"] for s in cr["samples"]] == ["bkg"]
    assert dict(patched) == signal_model(doc, load_analysis(d)).workspace
    model = pyhf.Workspace(bkg).model(patches=[sp.patch])
    assert _signal(model, model.config.suggested_init(), "sig")["SR"] == [6.5, 2.25]


def test_pyhf_export_skips_or_refuses(tmp_path: Path) -> None:
    d = toy(tmp_path, None)  # no likelihood
    notes: list[str] = []
    assert write_pyhf(toy_doc(d), tmp_path / "o", notes, optional=True) == []
    assert len(notes) == 1 and "has no likelihood" in notes[0]
    with pytest.raises(HepreintError, match="no likelihood"):
        write_pyhf(toy_doc(d), tmp_path / "o")
    d2 = toy(tmp_path / "b", PUBLISHED)
    with pytest.raises(HepreintError, match="NOT NORMALISED"):
        write_pyhf(toy_doc(d2, normalised=False), tmp_path / "o")
    assert not (tmp_path / "o").exists()
