"""A background per mass point: the grid file, its interpolation, the workspace it patches, and
the one-scale calibration (hepreint.stats.background_grid, grid_calibration)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

import hepreint.stats.grid_calibration as gc
from hepreint.errors import LikelihoodError
from hepreint.stats.background_grid import background_at, load_grid, with_background
from hepreint.stats.grid_calibration import (
    GridPoint,
    expected_limit_fb,
    grid_document,
    scaled,
    solve_scale,
    template_workspace,
)
from hepreint.stats.mapping import ChannelMap, LikelihoodSpec


def _spec(tmp_path: Path) -> LikelihoodSpec:
    return LikelihoodSpec(kind="calibrated", directory=tmp_path, yaml_path=tmp_path / "a.yaml",
                          channels=(ChannelMap("SR", ("SR_bin0", "SR_bin1")),),
                          background_grid=tmp_path / "grid.json")  # fmt: skip


def _doc(yields: list[float], params: dict[str, float], xsec_pb: float = 0.001) -> dict:
    return {
        "analysis": {"parameters": params},
        "normalisation": {"normalised": True, "xsec_pb": xsec_pb, "luminosity_fb": 140.0},
        "regions": {f"SR_bin{i}": {"yield": y, "yield_stat": 0.05 * y, "raw": 100}
                    for i, y in enumerate(yields)},
    }  # fmt: skip


def _grid(tmp_path: Path) -> dict:
    """Background falling exponentially with mX (and flat in mS) at four corner points."""
    points = []
    for mx in (300.0, 900.0):
        for ms in (50.0, 200.0):
            b = 100.0 * math.exp(-mx / 300.0)
            points.append(GridPoint({"mX": mx, "mS": ms}, [_doc([10 * b, b], {"mX": mx})]))
    return grid_document(_spec(tmp_path), "toy", points, relative_uncertainty=0.1,
                         source="toy")  # fmt: skip


def _write(tmp_path: Path, doc: dict) -> Path:
    p = tmp_path / "grid.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


def test_exact_at_grid_points_and_log_interpolation(tmp_path):
    grid = load_grid(_write(tmp_path, _grid(tmp_path)))
    bkg, unc, notes = background_at(grid, {"mX": 300.0, "mS": 50.0})
    assert bkg["SR"] == pytest.approx([1000 * math.exp(-1), 100 * math.exp(-1)])
    assert notes == []
    # the uncertainty: MC statistics (5 %) in quadrature with 10 %
    assert unc["SR"][1] == pytest.approx(bkg["SR"][1] * math.hypot(0.05, 0.1))
    # halfway in log(mX) between 300 and 900: the geometric mean of the two backgrounds
    mid = math.sqrt(300.0 * 900.0)
    bkg, _, notes = background_at(grid, {"mX": mid, "mS": 100.0})
    want = 100 * math.sqrt(math.exp(-1) * math.exp(-3))
    assert bkg["SR"][1] == pytest.approx(want, rel=1e-9)
    assert "interpolated" in notes[0]


def test_outside_the_grid_takes_the_nearest_point_and_says_so(tmp_path):
    grid = load_grid(_write(tmp_path, _grid(tmp_path)))
    bkg, _, notes = background_at(grid, {"mX": 2000.0, "mS": 200.0})
    assert bkg["SR"][1] == pytest.approx(100 * math.exp(-3))
    assert "outside the background grid" in notes[0] and "mX=900" in notes[0]


def test_missing_parameter_names_the_fix(tmp_path):
    grid = load_grid(_write(tmp_path, _grid(tmp_path)))
    with pytest.raises(LikelihoodError, match=r"--param mS="):
        background_at(grid, {"mX": 500.0})


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda d: d.update(schema="nope/1"), "not a background grid"),
        (lambda d: d["points"][0]["background"]["SR"].pop(), "need 2 values"),
        (lambda d: d["points"][1]["params"].pop("mS"), "missing mS"),
        (lambda d: d["points"][0]["background"]["SR"].__setitem__(0, -1.0), "damaged"),
    ],
)
def test_broken_grids_fail_with_one_line(tmp_path, edit, match):
    doc = _grid(tmp_path)
    edit(doc)
    with pytest.raises(LikelihoodError, match=match) as info:
        load_grid(_write(tmp_path, doc))
    assert "\n" not in str(info.value) and "grid.json" in str(info.value)


def test_workspace_takes_the_point_background(tmp_path):
    doc = _grid(tmp_path)
    ws = template_workspace(doc, "grid.json").workspace
    out = with_background(ws, {"SR": [5.0, 1.0]}, {"SR": [0.5, 0.1]}, "background", "w")
    sample = out["channels"][0]["samples"][0]
    assert sample["data"] == [5.0, 1.0] and sample["modifiers"][0]["data"] == [0.5, 0.1]
    assert out["observations"][0]["data"] == [5.0, 1.0]
    assert ws["channels"][0]["samples"][0]["data"] != [5.0, 1.0]  # the template is untouched
    with pytest.raises(LikelihoodError, match="rebuild workspace and grid together"):
        with_background(ws, {"SR": [1.0]}, {"SR": [0.1]}, "background", "w")


@pytest.mark.slow  # pyhf limit scans inside a root finder: tens of seconds
def test_more_background_means_a_weaker_limit_and_the_scale_follows_the_target(
    tmp_path, monkeypatch
):
    doc = _grid(tmp_path)
    spec = _spec(tmp_path)
    signal = _doc([2.0, 8.0], {"mX": 900.0, "mS": 200.0})
    # every solve_scale below starts from the same bracket ends (k = 1e-4 and 1e4): the limit is
    # a pure function of (grid, k) here, so each distinct k is computed once (same calls, same
    # numbers; repeats are served from this cache instead of refitting)
    real, seen = gc.expected_limit_fb, {}

    def once(grid, spec_, signal_doc, k=1.0):
        key = (id(grid), id(spec_), id(signal_doc), k)
        if key not in seen:
            seen[key] = real(grid, spec_, signal_doc, k)
        return seen[key]

    monkeypatch.setattr(gc, "expected_limit_fb", once)
    base = expected_limit_fb(doc, spec, signal)
    k10 = expected_limit_fb(doc, spec, signal, k=10.0)
    assert k10 > 1.5 * base
    assert expected_limit_fb(scaled(doc, 10.0), spec, signal) == pytest.approx(k10, rel=1e-6)
    k_low = solve_scale(doc, spec, signal, 1.2 * base)
    k_high = solve_scale(doc, spec, signal, 2.0 * base)
    assert 1.0 < k_low < k_high
    with pytest.raises(LikelihoodError, match="cannot be reached"):
        solve_scale(doc, spec, signal, 0.01 * base)  # below the zero-background limit
