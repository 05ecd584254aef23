"""The analysis likelihood with our signal in it: what limits, pyhf patches and CLs plots
start from (one construction, so the exported patch is exactly what the limits fitted)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyhf

from hepreint.analysis.spec import Analysis
from hepreint.stats.mapping import LikelihoodSpec, likelihood_spec
from hepreint.stats.signal import SignalYields, poi_name, signal_yields, with_signal
from hepreint.stats.workspace import Likelihood, load_likelihood, load_patchset, read_json


@dataclass
class SignalModel:
    """The analysis likelihood with our signal in it: what limits, patches and plots start from."""

    analysis: Analysis
    spec: LikelihoodSpec
    likelihood: Likelihood
    signal: SignalYields
    background: dict[str, Any]  # the workspace hepreint adds its signal to (as pyhf validated it)
    workspace: dict[str, Any]  # the same with our signal sample added
    measurement: str
    poi: str
    notes: list[str] = field(default_factory=list)
    #: the background-only workspace *file* and the published patch's operations turning it into
    #: ``background`` (none unless the likelihood names a patch of a published patchset)
    base: dict[str, Any] | None = None
    base_ops: list[Any] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.spec.label

    def model(self) -> tuple[pyhf.pdf.Model, Any]:
        """The pyhf model and data (observations + auxdata) hepreint fits."""
        from hepreint.stats.fit import build_model

        return build_model(self.workspace, self.measurement, self.poi)


def signal_model(results_doc: dict[str, Any], analysis: Analysis) -> SignalModel:
    """The analysis' likelihood with the signal of a results document patched in."""
    from hepreint.stats.limits import _check_results

    spec = likelihood_spec(analysis)
    lh = load_likelihood(spec)
    notes = _check_results(results_doc, analysis)
    sig = signal_yields(results_doc, spec, str(spec.yaml_path))
    background = json.loads(json.dumps(dict(lh.workspace)))  # plain JSON types, as on disk
    measurement, poi = poi_name(background, spec)
    data: dict[str, list[float]] = {}
    stat: dict[str, list[float]] = {}
    for r in sig.regions:
        data.setdefault(r.channel, []).append(max(r.yield_, 0.0))
        stat.setdefault(r.channel, []).append(r.stat)
    ws = with_signal(
        background, spec.signal_sample, poi, data, stat, str(spec.yaml_path), spec.signal_mc_stat
    )
    sm = SignalModel(analysis, spec, lh, sig, background, ws, measurement, poi, notes)
    if spec.patchset is not None and spec.patch is not None and spec.workspace is not None:
        sm.base = read_json(spec.workspace, "workspace")
        sm.base_ops = json.loads(json.dumps(load_patchset(spec.patchset)[spec.patch].patch))
    return sm
