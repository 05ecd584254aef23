"""Results documents for the consumer tests (HEPData, CheckMATE, MadAnalysis5): a real run of the
shipped example sample (130 Pythia events, all weights 1) and a synthetic ttHbb run with three
weight variations and negative weights, normalised or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

import hepreint
from hepreint.engine.yields import Yields
from hepreint.export import load_results
from hepreint.results.document import Results

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"
WORKSPACE = TTH / "likelihood" / "workspace.json"


def real_doc(sample: Path, tmp: Path) -> dict[str, Any]:
    ana = hepreint.load_analysis(TTH)
    res = hepreint.run(ana, [str(sample)], hepreint.RunOptions())
    return load_results(res.write(tmp))


def synthetic_doc(tmp: Path, *, normalised: bool = True, n: int = 400) -> dict[str, Any]:
    ana = hepreint.load_analysis(TTH)
    rng = np.random.default_rng(7)
    w0 = rng.normal(1.0, 0.6, n)  # about 5 % negative weights
    weights = np.stack([w0, w0 * rng.uniform(0.8, 1.2, n), w0 * rng.uniform(0.9, 1.1, n)], axis=1)
    masks = {}
    for name, steps in ana.layout.items():
        m = np.ones((len(steps), n), dtype=bool)
        for i in range(1, len(steps)):
            m[i] = m[i - 1] & (rng.uniform(size=n) < 0.7)
        masks[name] = m
    y = Yields.from_masks(ana.layout, masks, weights, ("nominal", "MUR=2 MUF=1", "PDF set 1"))
    prov = {
        "hepreint_version": "test",
        "analysis_sha256": ana.digest(),
        "inputs": [{"path": "/data/sig_mX500.hepmc3.gz", "size_bytes": 1, "events_read": n}],
        "seed": 1,
        "command": "test",
        "time_utc": "2025-01-01T00:00:00+00:00",
    }
    xs = (0.5, 0.01, "test") if normalised else (None, None, None)
    res = Results(ana, y, *xs, 140.0, "analysis", prov)
    d = tmp / "res"
    d.mkdir(parents=True, exist_ok=True)
    (d / "results.json").write_text(json.dumps(res.to_dict(), default=str))
    return load_results(d / "results.json")


def workspace_counts() -> dict[str, tuple[float, float, float]]:
    """channel -> (observed, background, shapesys error) read straight from workspace.json."""
    ws = json.loads(WORKSPACE.read_text())
    obs = {o["name"]: o["data"][0] for o in ws["observations"]}
    out = {}
    for ch in ws["channels"]:
        bkg = next(s for s in ch["samples"] if s["name"] == "background")
        err = next(m for m in bkg["modifiers"] if m["type"] == "shapesys")["data"][0]
        out[ch["name"]] = (obs[ch["name"]], bkg["data"][0], err)
    return out
