"""Normalised results with provenance: JSON (schema-validated), and a readable cut-flow table.

Normalisation happens here, once: yield = Σw · σ·L / Σw(all events read), σ in pb and L in
fb⁻¹ (1 pb = 1000 fb). Every weight variation is normalised with the *nominal* Σw(all), so a
variation that changes the total rate shows up in the yields. Without a cross-section the
results are Σw (unnormalised) and say so in the JSON, the table and a warning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hepreint.analysis.schemas import validate
from hepreint.analysis.spec import Analysis
from hepreint.engine.exact import to_float
from hepreint.engine.yields import RegionYields, Yields
from hepreint.errors import HepreintError
from hepreint.results.consistency import edges_to_json
from hepreint.results.output import dumps, ensure_dir, remove_derived, write_text

SCHEMA_ID = "hepreint-results/1"
#: where partial results go when complete ones are already in the directory
PARTIAL_NAME = "results.partial.json"


def _status_of(path: Path) -> str | None:
    """The status of an existing results file (None: absent or not a results file)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    status = doc.get("status") if isinstance(doc, dict) else None
    return status if isinstance(status, str) else None


@dataclass
class Results:
    analysis: Analysis
    yields: Yields
    xsec_pb: float | None
    xsec_err_pb: float | None
    xsec_source: str | None
    lumi_fb: float
    lumi_source: str
    provenance: dict[str, Any]
    status: str = "complete"
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def normalised(self) -> bool:
        return self.xsec_pb is not None and self.sumw_all > 0

    @property
    def sumw_all(self) -> float:
        return to_float(self.yields.sumw_all[0]) if self.yields.sumw_all else 0.0

    @property
    def factor(self) -> float:
        """Multiplies Σw to give expected events at the luminosity (1 when unnormalised)."""
        if not self.normalised:
            return 1.0
        assert self.xsec_pb is not None
        return self.xsec_pb * 1000.0 * self.lumi_fb / self.sumw_all

    def region_yield(self, region: str, weight: int = 0) -> tuple[float, float]:
        """(yield, statistical error) of a region's last step."""
        r = self.yields.regions[region]
        sw, sw2 = to_float(r.sumw[-1][weight]), to_float(r.sumw2[-1][weight])
        return sw * self.factor, self.yield_stat(sw, sw2)

    def efficiency_stat(self, sw: float, sw2: float) -> float | None:
        """Weighted-binomial error of the efficiency sw / Σw(all), or None without events.

        var(ε) = (Σw²_pass (1 − 2ε) + ε² Σw²_all) / (Σw_all)²: zero at ε = 0 and ε = 1.
        """
        total = self.sumw_all
        if not total:
            return None
        total2 = to_float(self.yields.sumw2_all[0]) if self.yields.sumw2_all else 0.0
        eff = sw / total
        return math.sqrt(max((sw2 * (1 - 2 * eff) + eff * eff * total2) / total**2, 0.0))

    def yield_stat(self, sw: float, sw2: float) -> float:
        """MC statistical error of a yield.

        Normalised, the yield is σ·L·ε with σ known, so its error is σ·L·δε (binomial: the
        first cut-flow step has none); unnormalised, it is sqrt(Σw²).
        """
        if self.normalised:
            assert self.xsec_pb is not None
            d_eff = self.efficiency_stat(sw, sw2) or 0.0
            return self.xsec_pb * 1000.0 * self.lumi_fb * d_eff
        return math.sqrt(sw2)

    def to_hist(self, weight: str | int = 0) -> dict[str, Any]:
        """``hist.Hist`` objects: ``cutflow_<region>`` (a ``StrCategory`` axis of the steps) for
        every region and ``<region>`` (a ``Variable`` axis of its edges) for every binned one;
        ``Weight`` storage (f·Σw, f²·Σw²) of the nominal or of ``weight`` (a name or a column).
        """
        from hepreint.results.tables import to_hist

        return to_hist(self, weight)

    def to_table(self, variations: bool = False) -> list[dict[str, Any]]:
        """A tidy table, one dict per region and step (and weight, with ``variations``)."""
        from hepreint.results.tables import to_table

        return to_table(self, variations)

    def to_pandas(self, variations: bool = False) -> Any:
        """:meth:`to_table` as a ``pandas.DataFrame`` (needs pandas, not installed with us)."""
        from hepreint.results.tables import to_pandas

        return to_pandas(self, variations)

    def to_dict(self) -> dict[str, Any]:
        a = self.analysis
        f = self.factor
        regions = {}
        defs = {r.name: r for r in a.regions}
        for name, ry in self.yields.regions.items():
            regions[name] = _region_dict(ry, defs[name].description, defs[name].bin, f, self)
        meta = a.metadata
        return {
            "schema": SCHEMA_ID,
            "status": self.status,
            "errors": self.errors,
            "warnings": self.warnings,
            "analysis": {
                "name": meta["name"],
                "title": meta["title"],
                "experiment": meta["experiment"],
                "arxiv": meta["arxiv"],
                "sqrt_s_TeV": meta["sqrt_s_TeV"],
                "status": meta["status"],
                "approximations": meta.get("approximations", []),
                "parameters": a.parameters,
                "directory": str(a.directory.resolve()),
                "sha256": self.provenance.get("analysis_sha256", ""),
            },
            "normalisation": {
                "normalised": self.normalised,
                "xsec_pb": self.xsec_pb,
                "xsec_err_pb": self.xsec_err_pb,
                "xsec_source": self.xsec_source,
                "luminosity_fb": self.lumi_fb,
                "luminosity_source": self.lumi_source,
                "n_events": self.yields.n_events,
                "sumw_all": self.sumw_all,
                "factor": f,
                "yield_unit": "events" if self.normalised else "sum of weights (unnormalised)",
            },
            "weight_names": list(self.yields.weight_names),
            "regions": regions,
            "exact": _exact_dict(self.yields),
            "provenance": self.provenance,
        }

    def write(self, directory: str | Path, notes: list[str] | None = None) -> Path:
        """``directory/results.json``, atomically; what the user must know goes to ``notes``.

        A rerun never silently replaces complete results with partial ones: then the partial
        results go to ``results.partial.json`` beside them (and a note says so). When
        results.json is replaced, the outputs derived from the old one in the same directory
        (limits.json, validation.*, recorded exports) are removed, so that nothing stale sits
        beside the new results looking valid.
        """
        notes = notes if notes is not None else []
        out = ensure_dir(directory)
        path = out / "results.json"
        doc = self.to_dict()
        problems = validate(doc, "results")
        if problems:  # a bug of ours, not of the user: say so plainly
            raise HepreintError(f"internal error: results fail their schema: {problems[0]}")
        text = dumps(edges_to_json(doc), "the results", _json_default)
        if self.status == "partial" and _status_of(path) == "complete":
            partial = write_text(out / PARTIAL_NAME, text)
            notes.append(
                f"{path} holds complete results and is kept; these partial results "
                f"({self.yields.n_events} events) are written to {partial} instead"
            )
            return partial
        replacing = path.exists()
        write_text(path, text)
        if replacing:
            removed = remove_derived(out)
            if removed:
                notes.append(
                    f"removed {', '.join(str(p.relative_to(out)) for p in removed)} from {out}: "
                    "derived from the results this run replaced"
                )
        if self.status == "complete" and (out / PARTIAL_NAME).is_file():
            (out / PARTIAL_NAME).unlink()
            notes.append(f"removed {out / PARTIAL_NAME}: superseded by these complete results")
        return path

    def cutflow_table(self) -> str:
        """The terminal cut-flow: one block per region (bins folded to their last step)."""
        unit = "events" if self.normalised else "Σw (unnormalised)"
        lines = [
            f"{self.analysis.metadata['title']}",
            f"arXiv:{self.analysis.metadata['arxiv']}  status: {self.analysis.metadata['status']}"
            f"  events read: {self.yields.n_events}",
        ]
        if self.normalised:
            lines.append(
                f"normalised to σ = {self.xsec_pb:.6g} pb ({self.xsec_source}) × "
                f"L = {self.lumi_fb:g} fb⁻¹ ({self.lumi_source})"
            )
        elif self.xsec_pb is None:
            lines.append("NOT NORMALISED: no cross-section in the file and no --xsec given")
        else:
            lines.append(
                "NOT NORMALISED: the nominal weights of all events sum to "
                f"{self.sumw_all:.4g} <= 0 (a too small negative-weight sample?)"
            )
        det = self.provenance.get("detector")
        if isinstance(det, dict):
            extra = f", {det['tagging']} tagging" if det.get("tagging") else ""
            extra += ", APPROXIMATE map" if det.get("approximate") else ""
            lines.append(f"detector: {det.get('name')}{extra}")
        nets = self.provenance.get("networks") or {}
        if nets:
            lines.append("networks: " + ", ".join(
                f"{n} ({'SURROGATE' if d.get('surrogate') else 'preserved'})"
                for n, d in nets.items()))  # fmt: skip
        f = self.factor
        for r in self.analysis.regions:
            ry = self.yields.regions[r.name]
            if r.bin is not None and r.bin["index"] > 0:
                continue
            title = r.bin["region"] if r.bin else r.name
            lines.append("")
            lines.append(f"[{title}] {r.description}")
            lines.append(f"  {'step':<34}{'raw':>8}{unit:>22}{'± stat':>12}{'eff':>9}")
            sw = ry.sumw_float()[:, 0]
            sw2 = ry.sumw2_float()[:, 0]
            steps = list(ry.steps) if r.bin is None else list(ry.steps[:-1])
            for i, step in enumerate(steps):
                eff = sw[i] / sw[0] if sw[0] else float("nan")
                lines.append(
                    f"  {step:<34}{ry.n[i]:>8}{sw[i] * f:>22.5g}"
                    f"{self.yield_stat(sw[i], sw2[i]):>12.3g}"
                    f"{eff:>9.4f}"
                )
            if r.bin is not None:
                for rb in self.analysis.regions:
                    if rb.bin and rb.bin["region"] == r.bin["region"]:
                        yb = self.yields.regions[rb.name]
                        lines.append(
                            f"    {rb.steps[-1].label:<32}{yb.n[-1]:>8}"
                            f"{to_float(yb.sumw[-1][0]) * f:>22.5g}"
                            f"{self.yield_stat(*_last(yb)):>12.3g}"
                        )
        return "\n".join(lines)


def _region_dict(
    ry: RegionYields, description: str, bin_: dict[str, Any] | None, f: float, res: Results
) -> dict[str, Any]:
    sw = ry.sumw_float()
    sw2 = ry.sumw2_float()
    total = res.sumw_all
    steps = []
    for i, label in enumerate(ry.steps):
        eff = sw[i, 0] / total if total else None
        steps.append(
            {
                "step": label,
                "raw": ry.n[i],
                "sumw": sw[i, 0],
                "sumw2": sw2[i, 0],
                "yield": sw[i, 0] * f,
                "yield_stat": res.yield_stat(sw[i, 0], sw2[i, 0]),
                "efficiency": eff,
                "efficiency_stat": res.efficiency_stat(sw[i, 0], sw2[i, 0]),
                "relative_efficiency": sw[i, 0] / sw[i - 1, 0] if i and sw[i - 1, 0] else None,
            }
        )
    return {
        "description": description,
        "bin": bin_,
        "yield": sw[-1, 0] * f,
        "yield_stat": res.yield_stat(sw[-1, 0], sw2[-1, 0]),
        "raw": ry.n[-1],
        "variations": {n: sw[-1, k] * f for k, n in enumerate(res.yields.weight_names)},
        "cutflow": steps,
    }


def _last(r: RegionYields) -> tuple[float, float]:
    return to_float(r.sumw[-1][0]), to_float(r.sumw2[-1][0])


def _exact_dict(y: Yields) -> dict[str, Any]:
    """Exact integer sums (hex) so that result files of split runs merge bit-exactly."""
    return {
        "n_events": y.n_events,
        "sumw_all": [hex(v) for v in y.sumw_all],
        "sumw2_all": [hex(v) for v in y.sumw2_all],
        "regions": {
            name: {
                "steps": list(r.steps),
                "n": r.n,
                "sumw": [[hex(v) for v in row] for row in r.sumw],
                "sumw2": [[hex(v) for v in row] for row in r.sumw2],
            }
            for name, r in y.regions.items()
        },
    }


def _json_default(x: Any) -> Any:
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
