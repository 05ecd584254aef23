"""The YODA export read by a consumer, ``babyyoda`` (its pure-Python reader, grogu, as no C++
YODA is installed), with sums checked against the events themselves, and merged by the rule of
YODA's ``yodamerge`` script.

The input is the shipped example with three named weights, the nominal (``Weight``) in the
middle column, some weights negative: Rivet's rule must find it, ``--nominal-weight`` must move
it, and every Σw² must be the sum of the squared weights of the events that pass.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import babyyoda
import numpy as np
import pyhepmc
import pytest
from export_readers import read_yoda

import hepreint
from hepreint.engine.context import Context
from hepreint.engine.processor import Processor
from hepreint.errors import InputError
from hepreint.export.yoda import to_yoda
from hepreint.io import read_events
from hepreint.io.weights import choose_nominal

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"
NAMES = ["MUR=0.5_MUF=1", "Weight", "PDF=303400"]
XSEC = 0.5
PRE = "/ATLAS_ttHbb"


@pytest.fixture(scope="module")
def weighted(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example events with three weights (their own weight replaced)."""
    rng = np.random.default_rng(3)
    ri = pyhepmc.GenRunInfo()
    ri.weight_names = NAMES
    path = tmp_path_factory.mktemp("w") / "weighted.hepmc3"
    with pyhepmc.open(example_sample) as src, pyhepmc.open(path, "w") as out:
        for evt in src:
            w = rng.normal(1.0, 0.7)
            evt.run_info = ri
            evt.weights = [w * rng.uniform(0.8, 1.2), w, w * rng.uniform(0.9, 1.1)]
            out.write(evt)
    return path


def _weights_by_pyhepmc(path: Path) -> np.ndarray:
    """(events, 3) weights as pyhepmc reads them: not through hepreint's reader."""
    with pyhepmc.open(path) as f:
        return np.array([list(evt.weights) for evt in f])


def _masks(path: Path) -> dict[str, np.ndarray]:
    """Per region the (steps, events) pass masks of the analysis, batch after batch."""
    ana = hepreint.load_analysis(TTH)
    proc = Processor([ana], seed=hepreint.RunOptions().seed)
    parts: dict[str, list[np.ndarray]] = {}
    for batch in read_events([path], batch_size=50):
        state = proc._state(Context(batch, proc.seed), proc.plans[0])
        for region, m in state.masks.items():
            parts.setdefault(region, []).append(np.asarray(m))
    return {r: np.concatenate(ms, axis=1) for r, ms in parts.items()}


def _export(path: Path, tmp: Path, **opts: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    res = hepreint.run(TTH, [path], hepreint.RunOptions(xsec_pb=XSEC, **opts))
    doc = res.to_dict()
    file = tmp / f"run{len(list(tmp.iterdir()))}.yoda"
    file.write_text(to_yoda(doc))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        objs = babyyoda.read(str(file))
    skipped = [str(w.message) for w in caught]
    # grogu reads no Scatter1D: only the /_XSEC objects may be skipped, with a warning each
    n_xsec = sum(1 for p in read_yoda(file.read_text()) if p.split("[")[0].endswith("/_XSEC"))
    assert skipped == ["Unknown histogram type: YODA_SCATTER1D_V2, skipping..."] * n_xsec
    return doc, objs


@pytest.fixture(scope="module")
def full(weighted: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    return _export(weighted, tmp_path_factory.mktemp("yoda"))


def test_babyyoda_reads_every_object_with_rivets_names(full: tuple[dict, dict]) -> None:
    doc, objs = full
    suffixes = ["", "[MUR=0.5_MUF=1]", "[PDF=303400]"]  # nominal unnamed, names untouched
    want = set()
    for root in ("", "/RAW"):
        for sfx in suffixes:
            want |= {f"{root}/_EVTCOUNT{sfx}"}
            for name in doc["regions"]:
                want |= {f"{root}{PRE}/cutflow_{name}{sfx}", f"{root}{PRE}/yield_{name}{sfx}"}
            want |= {f"{root}{PRE}/{b}{sfx}" for b in ("SR_1l", "SR_2l", "stxs_truth")}
    assert set(objs) == want
    assert doc["weight_names"] == ["Weight", "MUR=0.5_MUF=1", "PDF=303400"]
    assert doc["provenance"]["nominal_weight"]["column_in_input"] == 1


def test_cutflow_sumw2_is_the_sum_of_squared_weights(weighted: Path, full: tuple) -> None:
    doc, objs = full
    w = _weights_by_pyhepmc(weighted)
    masks = _masks(weighted)
    f = doc["normalisation"]["factor"]
    assert f == pytest.approx(XSEC * 1000 * 140.0 / math.fsum(w[:, 1]), rel=1e-12)
    for col, sfx in ((1, ""), (0, "[MUR=0.5_MUF=1]"), (2, "[PDF=303400]")):
        for region, m in masks.items():
            raw = objs[f"/RAW{PRE}/cutflow_{region}{sfx}"].bins()
            fin = objs[f"{PRE}/cutflow_{region}{sfx}"].bins()
            assert len(raw) == m.shape[0]
            for i, (rb, fb) in enumerate(zip(raw, fin, strict=True)):
                sw = math.fsum(w[m[i], col])
                sw2 = math.fsum(w[m[i], col] ** 2)
                assert rb.sumW() == pytest.approx(sw, rel=1e-12, abs=1e-12)
                assert rb.sumW2() == pytest.approx(sw2, rel=1e-12, abs=1e-12)
                assert rb.numEntries() == m[i].sum() == fb.numEntries()
                assert fb.sumW() == pytest.approx(f * sw, rel=1e-12, abs=1e-12)
                assert fb.sumW2() == pytest.approx(f * f * sw2, rel=1e-12, abs=1e-12)
        ev = objs[f"/RAW/_EVTCOUNT{sfx}"]
        assert ev.sumW() == pytest.approx(math.fsum(w[:, col]), rel=1e-12)
        assert ev.sumW2() == pytest.approx(math.fsum(w[:, col] ** 2), rel=1e-12)
        assert ev.numEntries() == len(w)
    assert any(sw < 0 for sw in w[:, 1])  # negative weights were exercised


def _yodamerge(inputs: list[dict[str, Any]]) -> dict[str, list[float]]:
    """(sumW, sumW2, numEntries) per object and bin after merging as YODA's yodamerge does:
    objects that all carry ScaledBy are un-scaled, added and scaled by 1/Σ(1/ScaledBy); objects
    without it are added as they are."""
    out: dict[str, list[float]] = {}
    for path in inputs[0]:
        objs = [d[path] for d in inputs]
        scales = [o.annotation("ScaledBy") for o in objs]
        has = [s is not None for s in scales]
        assert all(has) or not any(has)
        unscale = [1.0 / float(s) for s in scales] if all(has) else [1.0] * len(objs)
        rescale = 1.0 / sum(unscale) if all(has) else 1.0
        bins = [o.bins() if hasattr(o, "bins") else [o] for o in objs]
        merged = []
        for per_input in zip(*bins, strict=True):
            sw = sum(b.sumW() * u for b, u in zip(per_input, unscale, strict=True)) * rescale
            sw2 = sum(b.sumW2() * u * u for b, u in zip(per_input, unscale, strict=True))
            merged += [sw, sw2 * rescale * rescale, sum(b.numEntries() for b in per_input)]
        out[path] = merged
    return out


def test_yodamerge_of_two_halves_gives_the_whole(
    weighted: Path, full: tuple, tmp_path: Path
) -> None:
    _, whole = full
    n = int(_weights_by_pyhepmc(weighted).shape[0])
    _, first = _export(weighted, tmp_path, max_events=n // 2)
    _, second = _export(weighted, tmp_path, skip=n // 2)
    merged = _yodamerge([first, second])
    assert set(merged) == set(whole)
    for path, values in merged.items():
        obj = whole[path]
        bins = obj.bins() if hasattr(obj, "bins") else [obj]
        expect = [v for b in bins for v in (b.sumW(), b.sumW2(), b.numEntries())]
        assert values == pytest.approx(expect, rel=1e-12, abs=1e-9), path


def test_nominal_weight_option_moves_the_nominal(
    weighted: Path, full: tuple, tmp_path: Path
) -> None:
    _, default = full
    doc, objs = _export(weighted, tmp_path, nominal_weight="PDF=303400")
    assert doc["weight_names"] == ["PDF=303400", "MUR=0.5_MUF=1", "Weight"]
    assert doc["provenance"]["nominal_weight"]["column_in_input"] == 2
    nominal = objs[f"/RAW{PRE}/cutflow_dilepton"].bins()
    was = default[f"/RAW{PRE}/cutflow_dilepton[PDF=303400]"].bins()
    assert [b.sumW() for b in nominal] == [b.sumW() for b in was]
    assert [b.sumW() for b in objs[f"/RAW{PRE}/cutflow_dilepton[Weight]"].bins()] == [
        b.sumW() for b in default[f"/RAW{PRE}/cutflow_dilepton"].bins()
    ]


@pytest.mark.parametrize(
    ("names", "column"),
    [
        (("a", "", "b"), 1),  # the unnamed weight
        (("MUR2", "nominal"), 1),  # any case
        (("x", "Default", "WEIGHT"), 1),  # the first acceptable one
        (("w1", "0"), 1),
        (("MUR2", "MUR0.5"), 0),  # none: the first
    ],
)
def test_rivets_rule_for_the_default_nominal(names: tuple[str, ...], column: int) -> None:
    assert choose_nominal(names, None)[0] == column


def test_unknown_nominal_weight_is_refused_before_the_run(weighted: Path) -> None:
    args = ["run", str(TTH), str(weighted), "--nominal-weight", "MUR=2", "-q"]
    p = subprocess.run([sys.executable, "-m", "hepreint", *args], capture_output=True, text=True)
    assert p.returncode != 0 and not p.stdout
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and str(weighted) in lines[0], p.stderr
    assert "'MUR=0.5_MUF=1', 'Weight', 'PDF=303400'" in lines[0]
    with pytest.raises(InputError, match="no weight of that name"):
        choose_nominal(("a",), "b")


def test_nominal_weight_option_has_help() -> None:
    p = subprocess.run([sys.executable, "-m", "hepreint", "run", "--help"], capture_output=True,
                       text=True)  # fmt: skip
    assert "--nominal-weight NAME" in p.stdout and "Rivet" in p.stdout
