"""Our signal, read from a results JSON, as a pyhf sample patched into the background workspace.

Working from the results *document* (not a live ``Results``) means ``hepreint limits
results.json`` needs no rerun. The MC statistical error of each region becomes a ``staterror``
modifier, so a signal from few simulated events weakens the limit instead of faking precision.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Any

from hepreint.errors import LikelihoodError
from hepreint.stats.mapping import LikelihoodSpec

#: fewer raw MC events than this in a mapped region makes its yield and stat error unreliable
MIN_RAW_EVENTS = 10


@dataclass(frozen=True)
class RegionSignal:
    region: str
    channel: str
    bin: int
    yield_: float
    stat: float
    raw: int


@dataclass(frozen=True)
class SignalYields:
    regions: tuple[RegionSignal, ...]
    xsec_fb: float | None
    luminosity_fb: float
    normalised: bool

    def channel(self, name: str) -> list[RegionSignal]:
        return [r for r in self.regions if r.channel == name]

    def scaled(self, factor: float) -> SignalYields:
        """The same sample renormalised (e.g. to another cross-section)."""
        regs = tuple(
            RegionSignal(r.region, r.channel, r.bin, r.yield_ * factor, r.stat * factor, r.raw)
            for r in self.regions
        )
        xs = self.xsec_fb * factor if self.xsec_fb is not None else None
        return SignalYields(regs, xs, self.luminosity_fb, self.normalised)


def signal_yields(results_doc: dict[str, Any], spec: LikelihoodSpec, where: str) -> SignalYields:
    regions = results_doc.get("regions") or {}
    out = []
    for cm in spec.channels:
        for i, name in enumerate(cm.regions):
            if name not in regions:
                raise LikelihoodError(
                    f"{where}: region {name!r} (likelihood channel {cm.channel}) is not in the "
                    "results; rerun 'hepreint run' with this analysis version"
                )
            r = regions[name]
            out.append(
                RegionSignal(
                    name, cm.channel, i, float(r["yield"]), float(r["yield_stat"]), int(r["raw"])
                )
            )
    norm = results_doc.get("normalisation") or {}
    xsec_pb = norm.get("xsec_pb")
    return SignalYields(
        tuple(out),
        float(xsec_pb) * 1000.0 if xsec_pb is not None else None,
        float(norm.get("luminosity_fb", 0.0)),
        bool(norm.get("normalised", False)),
    )


#: the signal's MC statistics: a ``staterror`` per bin, or (``overall``) one normalisation
#: uncertainty sqrt(sum sigma^2) / sum s over every mapped bin, for models with so many bins that
#: a parameter per bin makes each fit cost minutes (likelihood.signal_mc_stat)
MC_STAT = ("per_bin", "overall")


def signal_sample(
    name: str,
    poi: str,
    channel: str,
    data: list[float],
    stat: list[float] | None,
    overall: float | None = None,
) -> dict[str, Any]:
    mods: list[dict[str, Any]] = [{"name": poi, "type": "normfactor", "data": None}]
    if overall is not None:
        mods.append({"name": f"{name}_mcstat", "type": "normsys",
                     "data": {"hi": 1.0 + overall, "lo": max(1.0 - overall, 0.01)}})  # fmt: skip
    elif stat is not None:
        mods.append({"name": f"staterror_{channel}", "type": "staterror", "data": stat})
    return {"name": name, "data": data, "modifiers": mods}


def overall_mc_stat(data: dict[str, list[float]], stat: dict[str, list[float]]) -> float:
    """sqrt(sum sigma^2) / sum s over every bin of ``data`` (0 for an empty signal)."""
    total = sum(v for vs in data.values() for v in vs)
    err2 = sum(e * e for ch in data for e in stat.get(ch, []))
    return math.sqrt(err2) / total if total > 0 else 0.0


def with_signal(
    ws_spec: dict[str, Any],
    sample: str,
    poi: str,
    data: dict[str, list[float]],
    stat: dict[str, list[float]] | None,
    where: str,
    mc_stat: str = "per_bin",
) -> dict[str, Any]:
    """A copy of the workspace spec with ``sample`` replaced/added in the channels of ``data``.

    Channels without our signal (control regions) keep no signal sample: zero contamination.
    """
    out = copy.deepcopy(ws_spec)
    channels = {c["name"]: c for c in out["channels"]}
    overall = overall_mc_stat(data, stat) if stat is not None and mc_stat == "overall" else None
    for ch, values in data.items():
        if ch not in channels:
            raise LikelihoodError(
                f"{where}: channel {ch!r} is not in the workspace (it has "
                f"{', '.join(channels)}); fix likelihood.channels"
            )
        c = channels[ch]
        nbins = len(c["samples"][0]["data"])
        if len(values) != nbins:
            raise LikelihoodError(
                f"{where}: channel {ch!r} has {nbins} bin(s) but {len(values)} region(s) are "
                "mapped to it; list one region per bin"
            )
        c["samples"] = [s for s in c["samples"] if s["name"] != sample]
        c["samples"].append(
            signal_sample(
                sample, poi, ch, list(values), stat[ch] if stat is not None else None, overall
            )
        )
    return out


def poi_name(ws_spec: dict[str, Any], spec: LikelihoodSpec) -> tuple[str, str]:
    """(measurement name, POI name) — the spec's choices or the workspace's first measurement."""
    ms = ws_spec["measurements"]
    if spec.measurement is not None:
        found = [m for m in ms if m["name"] == spec.measurement]
        if not found:
            names = ", ".join(m["name"] for m in ms)
            raise LikelihoodError(
                f"{spec.where('measurement')}: {spec.measurement!r} not in the workspace "
                f"(has {names})"
            )
        m = found[0]
    else:
        m = ms[0]
    return m["name"], spec.poi or m["config"]["poi"]
