"""``hepreint scan``: an analysis over a grid of signal points, resumable, with efficiency and
limit maps as JSON, HEPData and plots. Thin: parse, call :func:`hepreint.scan.run_scan`, print."""

from __future__ import annotations

import sys
from typing import Any

import click

from hepreint.cli.options import Number
from hepreint.engine.options import EXECUTORS, RunOptions

_D = RunOptions()


@click.command("scan")
@click.argument("analysis")
@click.option("--grid", "grid", multiple=True, metavar="NAME=START:STOP:STEP",
              help="one axis of the grid (repeatable; crossed): START:STOP:STEP with STOP "
              "included, or V1,V2,... (e.g. --grid mX=250:1000:250 --grid mS=50,100)")
@click.option("--points", "points_file", default=None, type=click.Path(dir_okay=False),
              help="YAML list of points ({mX: 500, mS: 200}, optionally with files: [...] "
              "instead of generation) instead of --grid")
@click.option("--process", default=None,
              help="generator process for the points' samples (hepreint generate list)")
@click.option("--events", "n_events", type=Number(int, 1), default=None,
              help="events to generate per point (with --process)")
@click.option("--seed", type=Number(int, 0, 2**63 - 1), default=_D.seed, show_default=True,
              help="scan seed; each point's seed is derived from it and the point's values")
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="scan directory (points/, scan.json, hepdata/, plots/); rerun to resume")
@click.option("--executor", type=click.Choice(EXECUTORS), default="serial", show_default=True,
              help="where the points run: here, on local worker processes, or on Dask")
@click.option("--workers", type=Number(int, 1, 1024), default=_D.workers, show_default=True,
              help="points run at once (processes, or local Dask workers)")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="address of a running dask.distributed scheduler (with --executor dask)")
@click.option("--detector", default=None, metavar="NAME",
              help="detector card, truth or none (default: the analysis' own)")
@click.option("--tagging", type=click.Choice(["direct", "truth"]), default=None,
              help="flavour tagging with a detector card (default: the analysis' own)")
@click.option("--xsec", type=Number(float, 0, 1e12, min_open=True), default=None,
              help="σ×BR in pb of every point's sample (default: the generator's, from the file)")
@click.option("--lumi", type=Number(float, 0, 1e9, min_open=True), default=None,
              help="luminosity in fb^-1 (default: analysis)")
@click.option("--batch-size", type=Number(int, 1, 10_000_000), default=_D.batch_size,
              show_default=True, help="events processed together in each point's run")
@click.option("--no-regions", is_flag=True, help="skip the single-region S95 fits of each point")
@click.option("--no-plots", is_flag=True, help="write no plots (JSON and HEPData only)")
@click.option("--region", default=None,
              help="region of the A×ε plot (default: the likelihood's first region)")
@click.option("--theory", default=None, type=click.Path(dir_okay=False),
              help="YAML of theory σ in fb per point (points: [{mX: .., mS: .., sigma_fb: ..}], "
              "or x/sigma_fb lists for one parameter): draws the excluded contour")
@click.option("-q", "--quiet", is_flag=True, help="no line per point")
def scan(analysis: str, grid: tuple[str, ...], points_file: str | None, process: str | None,
         n_events: int | None, seed: int, outdir: str, executor: str, workers: int,
         scheduler: str | None, detector: str | None, tagging: str | None, xsec: float | None,
         lumi: float | None, batch_size: int, no_regions: bool, no_plots: bool,
         region: str | None, theory: str | None, quiet: bool) -> None:  # fmt: skip
    """Run ANALYSIS over a grid of signal points (--grid axes or --points FILE): each point
    generated with --process (or given as files), run with its parameters and put through the
    limits; writes the efficiency and limit maps (scan.json, HEPData YAML, plots). Points
    already done are kept: rerun the same command to resume."""
    from hepreint.errors import HepreintError
    from hepreint.scan import run_scan

    if scheduler and executor != "dask":
        raise HepreintError("--scheduler needs --executor dask")
    total = [0]

    def on_point(pp: Any, out: Any) -> None:
        total[0] += 1
        if quiet:
            return
        what = out.status if out.status != "failed" else f"FAILED: {out.error}"
        gen = f", generated in {out.gen_seconds:.1f} s" if out.generated else ""
        click.echo(f"  {pp.point.label()}: {what} ({out.seconds:.1f} s{gen})")

    rep = run_scan(
        analysis, outdir, grid_axes=grid, points_file=points_file, process=process,
        n_events=n_events or 0, seed=seed, executor=executor, workers=workers, scheduler=scheduler,
        detector=detector, tagging=tagging, xsec_pb=xsec, lumi_fb=lumi, batch_size=batch_size,
        per_region=not no_regions, command="hepreint " + " ".join(sys.argv[1:]),
        plots=not no_plots, plot_region=region, theory=theory, on_point=on_point,
    )  # fmt: skip
    s = rep.doc["summary"]
    for p in rep.doc["points"]:
        if p["status"] == "skipped" and not quiet:
            click.echo(f"  {_label(p)}: skipped ({p.get('reason', '')})")
    click.echo(
        f"{len(rep.doc['points'])} points: {s['complete']} complete ({rep.reused} kept from "
        f"before, {rep.ran - s['failed']} run now), {s['skipped']} skipped, {s['failed']} "
        f"failed; {rep.seconds:.1f} s"
    )
    for w in [*rep.notes, *rep.doc["warnings"]]:
        click.echo(f"hepreint: warning: {w}", err=True)
    label = (rep.doc.get("limits") or {}).get("label")
    click.echo(f"maps written to {rep.scan_json}" + (f" [{label}]" if label else ""))
    if rep.hepdata:
        click.echo(f"HEPData written to {rep.hepdata[0].parent}")
    for p in rep.plots:
        click.echo(f"plot written to {p}")
    if s["failed"]:
        sys.exit(2)


def _label(p: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in p["parameters"].items())
