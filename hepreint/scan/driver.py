"""A whole scan: plan the points, keep the finished ones, run the others on the executor, and
write the maps (``scan.json``, HEPData, plots) into the scan directory.

``scan.json`` is rewritten after every point, marked partial until the last one is in, so an
interrupted scan leaves consistent maps of what finished; rerunning the same command redoes only
the points without a matching ``point.json`` (see :mod:`hepreint.scan.plan`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hepreint.analysis.spec import Analysis, load_analysis
from hepreint.errors import HepreintError
from hepreint.results.output import check_output_dir
from hepreint.scan.grid import Grid, ScanError, grid_from_axes, grid_from_file
from hepreint.scan.hepdata import write_scan_hepdata
from hepreint.scan.maps import PointRecord, read_point_docs, scan_document, write_scan
from hepreint.scan.parallel import ScanInterrupted, run_points
from hepreint.scan.plan import PlannedPoint, ScanConfig, plan
from hepreint.scan.run import PointOutcome, has_likelihood


@dataclass
class ScanReport:
    doc: dict[str, Any]
    scan_json: Path
    hepdata: list[Path] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    outcomes: dict[str, PointOutcome] = field(default_factory=dict)
    reused: int = 0
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def ran(self) -> int:
        return len(self.outcomes)

    @property
    def generated(self) -> int:
        return sum(o.generated for o in self.outcomes.values())


def no_likelihood_note(analysis: Analysis) -> str:
    return (
        f"{analysis.name} has no 'likelihood:' section in analysis.yaml: limits are skipped and "
        "only the efficiency map is written"
    )


def load_grid(analysis: Analysis, axes: Sequence[str], points_file: str | None) -> Grid:
    if axes and points_file:
        raise ScanError("give either --grid axes or --points FILE, not both")
    if not analysis.parameters:
        raise ScanError(
            f"{analysis.directory / 'analysis.yaml'}: the analysis declares no 'parameters:'; "
            "a scan varies declared parameters (e.g. mX)"
        )
    if points_file:
        return grid_from_file(points_file, analysis.parameters)
    return grid_from_axes(axes, analysis.parameters)


def _parameters(analysis: Analysis, names: Sequence[str]) -> list[dict[str, str]]:
    raw = analysis.raw.get("parameters") or {}
    out = []
    for n in names:
        d = raw.get(n) or {}
        entry = {"name": n, "unit": str(d.get("unit", ""))}
        if d.get("description"):
            entry["description"] = str(d["description"])
        out.append(entry)
    return out


def _analysis_info(analysis: Analysis, sha: str, lumi: float | None) -> dict[str, Any]:
    m = analysis.metadata
    info: dict[str, Any] = {
        "name": analysis.name,
        "title": str(m.get("title", "")),
        "arxiv": str(m.get("arxiv", "")),
        "directory": str(analysis.directory),
        "sha256": sha,
    }
    for key in ("experiment", "sqrt_s_TeV"):
        if m.get(key) is not None:
            info[key] = m[key]
    lum = lumi if lumi is not None else m.get("luminosity_fb")
    if lum is not None:
        info["luminosity_fb"] = float(lum)
    return info


def _record(pp: PlannedPoint, status: str, reason: str = "") -> PointRecord:
    return PointRecord(pp.point.name, pp.point.values, pp.seed, status,
                       str(pp.directory), reason)  # fmt: skip


def run_scan(
    analysis_path: str | Path,
    outdir: str | Path,
    *,
    grid_axes: Sequence[str] = (),
    points_file: str | None = None,
    process: str | None = None,
    n_events: int = 0,
    seed: int = 12345,
    executor: str = "serial",
    workers: int = 2,
    scheduler: str | None = None,
    detector: str | None = None,
    tagging: str | None = None,
    xsec_pb: float | None = None,
    lumi_fb: float | None = None,
    batch_size: int = 1000,
    per_region: bool = True,
    command: str = "",
    plots: bool = True,
    plot_region: str | None = None,
    theory: str | None = None,
    on_point: Callable[[PlannedPoint, PointOutcome], None] | None = None,
) -> ScanReport:
    """Plan, resume, run and map a scan: ``scan.json``, ``hepdata/`` and (``plots``, with the
    [plots] extra) ``plots/``. Raises ScanInterrupted on a signal, after writing the maps of
    the finished points marked partial."""
    t0 = time.perf_counter()
    analysis = load_analysis(analysis_path)
    grid = load_grid(analysis, grid_axes, points_file)
    if plot_region is not None and plot_region not in [r.name for r in analysis.regions]:
        raise ScanError(
            f"--region {plot_region}: not a region of {analysis.name}; it has "
            f"{', '.join(r.name for r in analysis.regions)}"
        )
    curve = None
    if theory is not None:
        from hepreint.scan.plots import read_theory_map

        curve = read_theory_map(theory, list(grid.parameters))
    if process is not None and n_events < 1 and any(not p.files for p in grid.points):
        raise ScanError(f"--process {process} needs --events N (events to generate per point)")
    notes: list[str] = []
    limits_note = None
    with_limits = has_likelihood(analysis)
    if with_limits:
        from hepreint.stats import likelihood_spec, load_likelihood

        load_likelihood(likelihood_spec(analysis))  # a broken likelihood fails now, not per point
    else:
        limits_note = no_likelihood_note(analysis)
        notes.append(limits_note)
    if process is not None and process.startswith("X_") and xsec_pb is None:
        notes.append(
            f"{process}: Pythia's σ of a BSM resonance is a model artefact (forced narrow width, "
            "default couplings); σ×BR limits in fb do not depend on it, but μ limits do, and a "
            "tiny σ leaves too little signal to fit: normalise the points with --xsec PB"
        )
    out = check_output_dir(outdir)
    sha = analysis.digest()
    config = ScanConfig(
        analysis=str(Path(analysis.directory).resolve()), analysis_sha256=sha, outdir=str(out),
        process=process, n_events=n_events, seed=seed, detector=detector, tagging=tagging,
        xsec_pb=xsec_pb, lumi_fb=lumi_fb, batch_size=batch_size, with_limits=with_limits,
        per_region=per_region, command=command,
    )  # fmt: skip
    planned = plan(config, grid.points)
    records: dict[str, PointRecord] = {}
    reused = 0
    for pp in planned:
        if pp.status == "done":
            rec = _record(pp, "complete")
            rec.results, rec.limits = read_point_docs(pp.directory)
            rec.reused = True
            reused += 1
        elif pp.status == "skipped":
            rec = _record(pp, "skipped", pp.reason)
        else:
            rec = _record(pp, "pending")
        records[pp.point.name] = rec
    info = _analysis_info(analysis, sha, lumi_fb)
    params = _parameters(analysis, grid.parameters)
    cfg = {**config.options(), "executor": executor, "workers": workers,
           "points_source": grid.source}  # fmt: skip

    def document(partial: bool = False) -> dict[str, Any]:
        return scan_document(info, params, list(records.values()), cfg, partial=partial,
                             limits_skipped=limits_note)  # fmt: skip

    out.mkdir(parents=True, exist_ok=True)
    scan_json = write_scan(document(), out)

    def finished(pp: PlannedPoint, outcome: PointOutcome) -> None:
        rec = records[pp.point.name]
        if outcome.status == "complete":
            rec.status = "complete"
            rec.results, rec.limits = read_point_docs(pp.directory)
        elif outcome.status == "failed":
            rec.status, rec.reason = "failed", outcome.error
        write_scan(document(), out)
        if on_point is not None:
            on_point(pp, outcome)

    todo = [pp for pp in planned if pp.status == "todo"]
    report = ScanReport({}, scan_json, reused=reused, notes=notes)
    try:
        report.outcomes = run_points(config, todo, executor, workers, scheduler, finished)
    except ScanInterrupted:
        doc = document(partial=True)
        write_scan(doc, out)
        try:
            write_scan_hepdata(doc, out / "hepdata")
        except HepreintError:
            pass  # the interrupt is what the user must hear about; scan.json is written
        raise
    report.doc = document()
    write_scan(report.doc, out)
    report.hepdata = write_scan_hepdata(report.doc, out / "hepdata")
    if plots:
        region = plot_region or default_region(analysis, report.doc)
        report.plots, more = draw_plots(report.doc, out / "plots", region, curve)
        report.notes += more
    report.seconds = time.perf_counter() - t0
    return report


def default_region(analysis: Analysis, doc: dict[str, Any]) -> str | None:
    """The region of the A×ε plot: the likelihood's first, else the analysis' last."""
    if has_likelihood(analysis):
        from hepreint.stats import likelihood_spec

        regions = likelihood_spec(analysis).regions
        if regions:
            return regions[0]
    return doc["regions"][-1] if doc["regions"] else None


def draw_plots(
    doc: dict[str, Any],
    directory: Path,
    region: str | None,
    theory: dict[tuple[float, ...], float] | None,
) -> tuple[list[Path], list[str]]:
    """The limit map(s) or Brazil band, and the A×ε map; a missing [plots] extra is a note."""
    from hepreint.scan import plots as P

    paths: list[Path] = []
    notes: list[str] = []
    two_d = len(doc["parameters"]) == 2
    has_limits = any(
        ((p.get("limits") or {}).get("xsec_limit_exp_fb") or {}).get("median") is not None
        for p in doc["points"]
    )
    try:
        if has_limits and two_d:
            paths.append(P.plot_limit_map(doc, directory / "limit_map_expected.png",
                                          theory=theory))  # fmt: skip
            if any((p.get("limits") or {}).get("xsec_limit_obs_fb") is not None
                   for p in doc["points"]):  # fmt: skip
                paths.append(P.plot_limit_map(doc, directory / "limit_map_observed.png",
                                              observed=True, theory=theory))  # fmt: skip
        elif has_limits and len(doc["parameters"]) == 1:
            paths.append(P.plot_brazil(doc, directory / "limits_brazil.png", theory))
        elif len(doc["parameters"]) > 2:
            notes.append("no plots: maps are drawn for one- or two-parameter grids only")
        if region is not None and len(doc["parameters"]) <= 2 and doc["regions"]:
            name = f"efficiency_map_{region}.png"
            paths.append(P.plot_efficiency_map(doc, region, directory / name))
    except HepreintError as exc:
        notes.append(f"plots not (all) drawn: {exc}")
    return paths, notes
