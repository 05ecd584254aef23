"""Per-region counting numbers from the analysis' likelihood: what CheckMATE and MadAnalysis5 need.

Both tools describe a signal region by three numbers, the observed count ``o``, the expected
background ``b`` and its uncertainty ``db``, and build a one-bin counting model from them
(CheckMATE 2: ``tools/python/evaluator.py`` ``Evaluator.load_expdata`` reads ``obs``, ``bkg``,
``bkg_err``; MadAnalysis5: ``madanalysis/misc/statistical_models.py``
``initialise_statistical_models`` feeds ``nobs``, ``nb``, ``deltanb`` to spey's
``default.uncorrelated_background``). Ours come from the workspace the analysis' ``likelihood:``
names, read-only:

- ``o``: the workspace's ``observations`` for the bin the region fills;
- ``b``: the sum of every sample but the signal at nominal parameters (pre-fit);
- ``db``: the pre-fit uncertainty of that sum: per modifier the absolute ±1σ effect (shapesys
  and staterror data, normsys ``(hi - lo)/2 · nominal``, histosys ``(hi - lo)/2``, lumi
  ``σ_lumi · nominal``), added linearly over samples sharing the modifier (staterror: in
  quadrature, as pyhf combines it) and in quadrature over modifiers. Free normalisations
  (normfactor, shapefactor) have no pre-fit uncertainty and are left out (said in ``notes``).

For a calibrated likelihood (ttHbb) the observations *are* the background-only expectation;
:attr:`Counting.note` says so and every file written from these numbers repeats it.

The model both tools fit per region is pyhf's ``simplemodels.uncorrelated_background`` (one
Poisson, a Barlow-Beeston ``shapesys`` for ``db``); :func:`region_cls` and :func:`region_s95`
evaluate it with hepreint's fit settings (asymptotic q̃_μ CLs, 95 % CL).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hepreint.analysis.spec import Analysis
from hepreint.errors import HepreintError
from hepreint.results.locate import analysis_of


@dataclass(frozen=True)
class RegionCounts:
    region: str
    channel: str
    bin: int
    observed: float
    background: float
    background_err: float


@dataclass
class Counting:
    """The counting numbers of every region the likelihood maps, and what they are."""

    regions: dict[str, RegionCounts]
    kind: str
    label: str
    source: str
    observed_is_expectation: bool
    notes: list[str] = field(default_factory=list)

    @property
    def note(self) -> str:
        """One line for file headers: where o, b, db come from (and when o is no data)."""
        text = (
            f"o, b, db from the analysis likelihood ({self.label}; {self.source}); b and db pre-fit"
        )
        if self.observed_is_expectation:
            text += (
                "; o = background-only expectation, NOT observed data (no observed counts are "
                "published for these regions): observed limits equal the expected median"
            )
        return text


def counting(doc: dict[str, Any], analysis: Analysis | None = None) -> Counting | None:
    """The counting numbers of ``doc``'s analysis, or None when it has no ``likelihood:``."""
    ana = analysis if analysis is not None else analysis_of(doc)
    if not ana.raw.get("likelihood"):
        return None
    # imported here: pyhf is loaded only for analyses with a likelihood
    from hepreint.stats.mapping import likelihood_spec
    from hepreint.stats.workspace import load_likelihood

    spec = likelihood_spec(ana)
    lh = load_likelihood(spec)
    ws = dict(lh.workspace)
    channels = {c["name"]: c for c in ws["channels"]}
    observations = {o["name"]: o["data"] for o in ws["observations"]}
    lumi_sigma = _lumi_sigma(ws, spec.measurement)
    notes: list[str] = []
    out: dict[str, RegionCounts] = {}
    for cm in spec.channels:
        ch = channels.get(cm.channel)
        if ch is None:
            raise HepreintError(
                f"{spec.where('channels', cm.channel)}: channel not in the workspace "
                f"({', '.join(channels)}); fix the channel name"
            )
        samples = [s for s in ch["samples"] if s["name"] != spec.signal_sample]
        for i, region in enumerate(cm.regions):
            b = sum(float(s["data"][i]) for s in samples)
            db = _uncertainty(samples, i, lumi_sigma, notes)
            o = float(observations[cm.channel][i])
            out[region] = RegionCounts(region, cm.channel, i, o, b, db)
    meta = lh.metadata or {}
    obs_text = str(meta.get("observations", ""))
    is_expectation = "background-only" in obs_text or all(
        math.isclose(r.observed, r.background, rel_tol=1e-12) for r in out.values()
    )
    return Counting(
        out, spec.kind, spec.label, spec.source or str(spec.workspace), is_expectation, notes
    )


def _lumi_sigma(ws: dict[str, Any], measurement: str | None) -> float:
    meas = ws["measurements"]
    m = next((x for x in meas if x["name"] == measurement), meas[0])
    for p in m["config"].get("parameters", []):
        if p.get("name") == "lumi" and p.get("sigmas"):
            return float(p["sigmas"][0])
    return 0.0


def _uncertainty(samples: list[dict[str, Any]], i: int, lumi: float, notes: list[str]) -> float:
    """Pre-fit absolute uncertainty of the summed samples in bin ``i`` (see module docstring)."""
    linear: dict[str, float] = {}  # modifier name -> summed absolute effect (correlated)
    quad: dict[str, float] = {}  # staterror name -> summed squares
    for s in samples:
        nom = float(s["data"][i])
        for m in s.get("modifiers", []):
            kind, name, data = m["type"], m["name"], m.get("data")
            if kind in ("shapesys", "staterror"):
                quad[name] = quad.get(name, 0.0) + float(data[i]) ** 2
                continue
            if kind == "normsys":
                eff = nom * (float(data["hi"]) - float(data["lo"])) / 2.0
            elif kind == "histosys":
                eff = (float(data["hi_data"][i]) - float(data["lo_data"][i])) / 2.0
            elif kind == "lumi":
                eff = nom * lumi
            else:  # normfactor / shapefactor: free, no pre-fit uncertainty
                note = f"background modifier {name!r} ({kind}) is free: not in db"
                if note not in notes:
                    notes.append(note)
                continue
            linear[name] = linear.get(name, 0.0) + eff
    # shapesys of different samples are separate parameters; summed squares are exact for them
    return math.sqrt(sum(v * v for v in linear.values()) + sum(quad.values()))


def _model(s: float, c: RegionCounts) -> tuple[Any, Any]:
    import pyhf

    model = pyhf.simplemodels.uncorrelated_background([s], [c.background], [c.background_err])
    return model, [c.observed, *model.config.auxdata]


def region_cls(s: float, c: RegionCounts) -> tuple[float, float]:
    """(observed, expected median) CLs at μ = 1 of ``s`` signal events in the region's own
    counting model; (1, 1) for no signal, as CheckMATE's evaluator sets it."""
    if not s > 0:
        return 1.0, 1.0
    from hepreint.stats.fit import hypotest

    model, data = _model(s, c)
    t = hypotest(1.0, data, model)
    return float(t.cls_obs), float(t.cls_exp[2])


def region_s95(c: RegionCounts) -> tuple[float, float]:
    """(observed, expected median) 95 % CL upper limits on signal events in the region: the
    model-independent S95 of CheckMATE's reference files (``S95_obs``, ``S95_exp``)."""
    from hepreint.stats.fit import upper_limit

    unit = max(math.sqrt(max(c.background, 0.0) + c.background_err**2), 1.0)
    model, data = _model(unit, c)
    lim = upper_limit(data, model, guess=3.0, rtol=1e-4)
    return float(lim.observed * unit), float(lim.expected[2] * unit)
