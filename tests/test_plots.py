"""Limit plots: the CLs scan of the shipped ttHbb likelihood, and the Brazil band of a scan.

The PNGs are checked as files (signature, a plausible size); the numbers behind the CLs plot are
checked against limits.json: CLs(μ) decreases, and crosses 0.05 at the μ limit (linear
interpolation between 25 points: 5 % of the limit).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import hepreint
from hepreint.analysis.spec import load_analysis
from hepreint.cli.plots import plot_limits
from hepreint.cli.stats import limits as limits_cmd
from hepreint.stats import compute_limits
from hepreint.stats.plots import cls_scan, plot_cls_scan

pytest.importorskip("matplotlib")
pytest.importorskip("mplhep")

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path: Path) -> tuple[int, int]:
    """Width and height of a PNG; fails unless the file starts like one."""
    head = path.read_bytes()[:24]
    assert head[:8] == PNG_SIGNATURE and head[12:16] == b"IHDR", f"{path} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    assert path.stat().st_size > 10_000  # a drawn plot, not an empty canvas
    return width, height


@pytest.fixture(scope="module")
def tth_results(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    # truth level: the calibrated workspace was solved on truth-level yields (likelihood/README)
    opts = hepreint.RunOptions(detectors=("truth",))
    res = hepreint.run(hepreint.load_analysis(TTH), [str(example_sample)], opts)
    return res.write(tmp_path_factory.mktemp("run"))


@pytest.mark.slow
def test_cls_scan_of_the_calibrated_likelihood(tth_results: Path, tmp_path: Path) -> None:
    doc = json.loads(tth_results.read_text())
    ana = load_analysis(TTH)
    lim = compute_limits(doc, ana, per_region=False)
    scan = cls_scan(doc, ana, limits=lim)
    assert scan.seconds < 5.0  # 25 asymptotic tests (~1 s here)
    assert scan.label == "calibrated approximation" and scan.kind == "calibrated"
    assert len(scan.mu) == 25 and scan.mu[0] == 0.0
    up2 = lim.mu_limit_exp["+2sigma"]
    if np.isfinite(up2):  # past the +2σ crossing, so that the whole band reaches 0.05
        assert scan.mu[-1] == pytest.approx(1.25 * max(lim.mu_limit_obs, up2))
    else:  # no +2σ crossing to show (limits.json warns): twice the finite limits
        assert scan.mu[-1] == pytest.approx(2 * max(lim.mu_limit_obs, lim.mu_limit_exp["median"]))
    obs = np.array(scan.cls_obs)
    assert obs[0] == pytest.approx(1.0) and np.all(np.diff(obs) <= 1e-12)
    exp = np.array(scan.cls_exp)
    assert np.all(exp[:, 0] <= exp[:, 2] + 1e-12) and np.all(exp[:, 2] <= exp[:, 4] + 1e-12)
    crossing = np.interp(-0.05, -obs, scan.mu)  # CLs decreases: interpolate on -CLs
    assert crossing == pytest.approx(lim.mu_limit_obs, rel=0.05)
    if np.isfinite(up2):
        assert exp[-1, 4] < 0.05
        assert np.interp(-0.05, -exp[:, 4], scan.mu) == pytest.approx(up2, rel=0.05)
    w, h = png_size(plot_cls_scan(scan, tmp_path / "cls.png"))
    assert w > 500 and h > 400


@pytest.mark.slow
def test_cli_limits_plot(tth_results: Path) -> None:
    r = CliRunner().invoke(limits_cmd, [str(tth_results), "--no-regions", "-q", "--plot"])
    assert r.exit_code == 0, r.output
    png = tth_results.with_name("cls_scan.png")
    assert f"CLs scan written to {png} [calibrated approximation]" in r.output
    png_size(png)
    assert (tth_results.with_name("limits.json")).is_file()


# ---------------------------------------------------------------- limits vs mX


def fake_limits(analysis: str, scale: float) -> dict[str, Any]:
    exp = {"-2sigma": 0.5, "-1sigma": 0.7, "median": 1.0, "+1sigma": 1.45, "+2sigma": 2.0}
    return {
        "schema": "hepreint-limits/1",
        "analysis": analysis,
        "likelihood_kind": "simplified",
        "label": "simplified",
        "luminosity_fb": 140.0,
        "signal_xsec_fb": 50.0,
        "mu_limit_obs": 1.2 * scale,
        "mu_limit_exp": {k: v * scale for k, v in exp.items()},
        "xsec_limit_obs_fb": 60.0 * scale,
        "xsec_limit_exp_fb": {k: 50.0 * v * scale for k, v in exp.items()},
    }


def scan_dirs(tmp: Path, analyses: tuple[str, str, str] = ("HH4b",) * 3) -> list[str]:
    """limits.json at mX = 300, 500, 700: the first two with the results.json next to them (as
    ``hepreint limits`` leaves them), the last recording its parameters itself."""
    paths = []
    for i, (mx, ana) in enumerate(zip((300, 500, 700), analyses, strict=True)):
        d = tmp / f"mX{mx}"
        d.mkdir(parents=True)
        lim = fake_limits(ana, 1000.0 / mx)
        if i < 2:
            res = {"analysis": {"name": ana, "parameters": {"mX": float(mx), "mS": 100.0}}}
            (d / "results.json").write_text(json.dumps(res))
        else:
            lim["parameters"] = {"mX": float(mx)}
        (d / "limits.json").write_text(json.dumps(lim))
        paths.append(str(d / "limits.json"))
    return paths


def test_plot_limits_brazil_band(tmp_path: Path) -> None:
    paths = scan_dirs(tmp_path)
    theory = tmp_path / "theory.yaml"
    theory.write_text("label: toy theory\nx: [300, 500, 700]\nsigma_fb: [300, 80, 20]\n")
    out = tmp_path / "limits_vs_mX.png"
    args = [*paths, "--param", "mX", "-o", str(out), "--theory", str(theory), "--unit", "GeV"]
    r = CliRunner().invoke(plot_limits, args)
    assert r.exit_code == 0, r.output
    assert "3 points" in r.output and "[simplified]" in r.output
    png_size(out)
    out_mu = tmp_path / "mu.png"
    r = CliRunner().invoke(plot_limits, [*paths, "--mu", "-o", str(out_mu)])  # mX: the common one
    assert r.exit_code == 0, r.output
    png_size(out_mu)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("analysis", "different analyses"),
        ("param", "no analysis parameter 'mZ'"),
        ("theory", "'x' and 'sigma_fb' must be number lists"),
    ],
)
def test_plot_limits_refuses(tmp_path: Path, case: str, message: str) -> None:
    analyses = ("HH4b", "HH4b", "XSH_bbyy") if case == "analysis" else ("HH4b",) * 3
    paths = scan_dirs(tmp_path, analyses)
    args = [*paths, "--param", "mZ" if case == "param" else "mX", "-o", str(tmp_path / "x.png")]
    if case == "theory":
        (tmp_path / "t.yaml").write_text("x: [1, 2]\nsigma_fb: [1]\n")
        args += ["--theory", str(tmp_path / "t.yaml")]
    r = CliRunner().invoke(plot_limits, args)
    assert r.exit_code == 2
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hepreint: error:") and message in lines[0]
    assert not (tmp_path / "x.png").exists()


@pytest.mark.slow  # a limit and 12 asymptotic tests: ~7 s
def test_cls_scan_reaches_past_the_plus_2_sigma_crossing(tth_results: Path) -> None:
    """With a finite +2σ expected limit (MC statistics of ~10× more events: the stat errors
    shrunk by 3), the scan's last point has every expected curve below 0.05."""
    doc = json.loads(tth_results.read_text())
    for reg in doc["regions"].values():
        reg["yield_stat"] /= 3.0
        for step in reg["cutflow"]:
            step["yield_stat"] /= 3.0
    ana = load_analysis(TTH)
    lim = compute_limits(doc, ana, per_region=False)
    up2 = lim.mu_limit_exp["+2sigma"]
    assert np.isfinite(up2) and up2 > lim.mu_limit_exp["median"]
    scan = cls_scan(doc, ana, limits=lim, points=12)
    exp = np.array(scan.cls_exp)
    assert scan.mu[-1] > up2 and exp[-1, 4] < 0.05
    assert np.interp(-0.05, -exp[:, 4], scan.mu) == pytest.approx(up2, rel=0.1)
