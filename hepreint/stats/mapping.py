"""The ``likelihood:`` section of analysis.yaml: which workspace, and which regions feed which bins.

The schema checks the shape of the section when the analysis loads; names that only make sense
against the compiled regions or the workspace (unknown regions, bin counts) are checked here, when
statistics are asked for, so an analysis without a likelihood never pays for pyhf.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hepreint.analysis.spec import Analysis
from hepreint.errors import LikelihoodError

KINDS = ("published", "simplified", "calibrated")
#: printed next to every number that comes from a calibrated likelihood
CALIBRATED_LABEL = "calibrated approximation"


@dataclass(frozen=True)
class ChannelMap:
    """One workspace channel: its bins, in order, are filled by these hepreint regions."""

    channel: str
    regions: tuple[str, ...]


@dataclass(frozen=True)
class LikelihoodSpec:
    kind: str
    directory: Path
    yaml_path: Path
    channels: tuple[ChannelMap, ...]
    signal_sample: str = "signal"
    workspace: Path | None = None
    table: Path | None = None
    metadata: Path | None = None
    patchset: Path | None = None
    patch: str | None = None
    measurement: str | None = None
    poi: str | None = None
    source: str = ""
    #: a background that depends on the hypothesis (hepreint.stats.background_grid)
    background_grid: Path | None = None
    #: the signal's MC statistics in the fit: "per_bin" (staterror) or "overall" (signal.py)
    signal_mc_stat: str = "per_bin"
    #: CheckMATE-style single-region S95 fits by default (off for models with many bins)
    single_region_limits: bool = True

    @property
    def label(self) -> str:
        """What to print next to every limit made from this likelihood."""
        return CALIBRATED_LABEL if self.kind == "calibrated" else self.kind

    @property
    def regions(self) -> tuple[str, ...]:
        return tuple(r for c in self.channels for r in c.regions)

    def where(self, *path: str) -> str:
        return f"{self.yaml_path}: likelihood.{'.'.join(path)}" if path else str(self.yaml_path)


def likelihood_spec(analysis: Analysis) -> LikelihoodSpec:
    """Parse and cross-check ``analysis.raw['likelihood']`` against the analysis' regions."""
    yaml_path = analysis.path or analysis.directory / "analysis.yaml"
    raw: dict[str, Any] | None = analysis.raw.get("likelihood")
    if not raw:
        from hepreint.analysis.catalog import find_analysis

        example = find_analysis("ttHbb")
        where = f"{example}/analysis.yaml" if example else "the shipped ttHbb analysis.yaml"
        raise LikelihoodError(
            f"{yaml_path}: no 'likelihood:' section; add one (kind, workspace, channels) "
            f"as in {where} (its likelihood/README.md explains each key)"
        )
    kind = raw.get("kind")
    if kind not in KINDS:
        raise LikelihoodError(f"{yaml_path}: likelihood.kind is {kind!r}; use one of {KINDS}")
    names = [r.name for r in analysis.regions]
    binned = _binned(analysis)
    channels = []
    for ch, spec in (raw.get("channels") or {}).items():
        regions: list[str] = []
        for i, r in enumerate(spec.get("regions") or []):
            if r in binned:
                regions.extend(binned[r])
            elif r in names:
                regions.append(r)
            else:
                close = difflib.get_close_matches(r, names + list(binned), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise LikelihoodError(
                    f"{yaml_path}: likelihood.channels.{ch}.regions[{i}]: unknown region {r!r}"
                    f"{hint}"
                )
        if not regions:
            raise LikelihoodError(
                f"{yaml_path}: likelihood.channels.{ch}: no regions; list the regions filling "
                "its bins"
            )
        channels.append(ChannelMap(ch, tuple(regions)))
    if not channels:
        raise LikelihoodError(f"{yaml_path}: likelihood.channels is empty; map at least one")
    d = analysis.directory

    def path(key: str) -> Path | None:
        return d / raw[key] if raw.get(key) else None

    if raw.get("workspace") is None and raw.get("table") is None:
        raise LikelihoodError(f"{yaml_path}: likelihood needs 'workspace:' (or 'table:')")
    if raw.get("table") is not None and kind != "simplified":
        raise LikelihoodError(f"{yaml_path}: likelihood.table is only for kind: simplified")
    return LikelihoodSpec(
        kind=kind,
        directory=d,
        yaml_path=yaml_path,
        channels=tuple(channels),
        signal_sample=raw.get("signal_sample", "signal"),
        workspace=path("workspace"),
        table=path("table"),
        metadata=path("metadata"),
        patchset=path("patchset"),
        patch=raw.get("patch"),
        measurement=raw.get("measurement"),
        poi=raw.get("poi"),
        source=raw.get("source", ""),
        background_grid=path("background_grid"),
        signal_mc_stat=str(raw.get("signal_mc_stat", "per_bin")),
        single_region_limits=bool(raw.get("single_region_limits", True)),
    )


def _binned(analysis: Analysis) -> dict[str, list[str]]:
    """A binned region's name -> its per-bin regions (``<name>_bin0`` ...) in bin order."""
    out: dict[str, list[str]] = {}
    for r in analysis.regions:
        if r.bin is not None:
            out.setdefault(r.bin["region"], []).append(r.name)
    return out
