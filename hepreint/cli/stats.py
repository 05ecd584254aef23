"""``hepreint limits`` and ``hepreint calibrate``: click commands registered by hepreint.cli.

Thin, like the rest of the CLI: read the results JSON, call hepreint.stats, print. Expected
failures print one line and exit 2, also when a command is run on its own (tests, scripts).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from hepreint.cli.options import Number
from hepreint.errors import HepreintError
from hepreint.results.output import check_output_dir


@contextmanager
def _one_line_errors() -> Iterator[None]:
    try:
        yield
    except HepreintError as exc:
        for line in str(exc).splitlines():
            click.echo(f"hepreint: error: {line}", err=True)
        sys.exit(2)


def _read_results(path: str) -> tuple[Path, dict[str, Any]]:
    from hepreint.results.load import load_results

    p = Path(path)
    p = p / "results.json" if p.is_dir() else p
    return p, load_results(p)


def _analysis_of(doc: dict[str, Any], given: str | None, results: Path) -> Any:
    from hepreint.results.locate import analysis_of

    return analysis_of(doc, results, given)


@click.command("limits")
@click.argument("results", type=click.Path())
@click.option("-a", "--analysis", default=None, help="analysis directory (default: from results)")
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(file_okay=False),
    help="directory for limits.json (default: next to results.json)",
)
@click.option("--no-regions", is_flag=True, help="skip the single-region S95 fits")
@click.option("-q", "--quiet", is_flag=True, help="do not print the table")
@click.option(
    "--plot", is_flag=True, help="also draw CLs vs mu with the expected bands (cls_scan.png)"
)
def limits(
    results: str,
    analysis: str | None,
    output: str | None,
    no_regions: bool,
    quiet: bool,
    plot: bool,
) -> None:
    """CLs and 95% CL upper limits for the yields in RESULTS (results.json or its directory)."""
    from hepreint.stats import compute_limits, limits_table

    with _one_line_errors():
        path, doc = _read_results(results)
        check_output_dir(output or path.parent, "-o" if output else "the results directory")
        ana = _analysis_of(doc, analysis, path)
        res = compute_limits(doc, ana, per_region=not no_regions)
        if not quiet:
            click.echo(limits_table(res, warnings=False))
        for w in res.warnings:
            click.echo(f"hepreint: warning: {w}", err=True)
        out = res.write(output or path.parent)
        click.echo(f"limits written to {out} [{res.label}]")
        if plot:
            from hepreint.stats.plots import cls_scan, plot_cls_scan

            try:
                scan = cls_scan(doc, ana, limits=res)
                png = plot_cls_scan(scan, out.with_name("cls_scan.png"))
            except OSError as exc:
                click.echo(f"hepreint: warning: no CLs plot: {exc.strerror or exc}", err=True)
                return
            except HepreintError as exc:  # limits.json is written: the plot is an extra
                click.echo(f"hepreint: warning: no CLs plot: {exc}", err=True)
                return
            for w in (w for w in scan.warnings if w not in res.warnings):
                click.echo(f"hepreint: warning: {w}", err=True)
            click.echo(f"CLs scan written to {png} [{res.label}] ({scan.seconds:.2f} s)")


@click.command("calibrate")
@click.argument("analysis")
@click.argument("results", type=click.Path())
@click.option(
    "--rel-uncertainty",
    type=Number(float, 0, 10),
    default=None,
    help="relative background uncertainty δ (default: the analysis' recipe)",
)
@click.option(
    "--xsec-fb",
    type=Number(float, 0, 1e15, min_open=True),
    default=None,
    help="SM signal σ×BR in fb (default: recipe)",
)
@click.option("--dry-run", is_flag=True, help="solve and print, do not write the workspace")
def calibrate(
    analysis: str,
    results: str,
    rel_uncertainty: float | None,
    xsec_fb: float | None,
    dry_run: bool,
) -> None:
    """Calibrate ANALYSIS's counting likelihood on the SM signal yields in RESULTS."""
    from hepreint.analysis.spec import load_analysis
    from hepreint.stats import calibrate as run_calibration
    from hepreint.stats import likelihood_spec

    with _one_line_errors():
        ana = load_analysis(analysis)
        path, doc = _read_results(results)
        if not dry_run:
            target = likelihood_spec(ana).workspace
            if target is not None:
                check_output_dir(target.parent, "the analysis' likelihood directory")
        cal = run_calibration(
            doc, ana, background_rel_uncertainty=rel_uncertainty, signal_xsec_fb=xsec_fb
        )
        c = cal.built.metadata["calibration"]
        click.echo(
            f"target {c['target']['id']} = {cal.target_value:g}: solved S/B = {cal.s_over_b:.5g}"
            f" (achieved {cal.achieved:.6g}, solver consistency check)"
        )
        for ch, b in c["solved"]["background"].items():
            unc = c["solved"]["background_uncertainty"][ch]
            sig = c["signal"]["yields"][ch]
            click.echo(
                f"  {ch}: signal {', '.join(f'{v:.5g}' for v in sig)}  background "
                f"{', '.join(f'{v:.6g}' for v in b)} ± {', '.join(f'{v:.4g}' for v in unc)}"
            )
        for x in cal.crosschecks:
            if "predicted_interval" in x:
                (a, b), (c, d) = x["predicted_interval"], x["published_interval"]
                click.echo(
                    f"  cross-check {x['id']}: predicted [{a:.3g}, {b:.3g}], published "
                    f"[{c:g}, {d:g}] ("
                    + ("own acceptance" if "reweighted" in x["compared"] else "flat acceptance")
                    + ")"
                )
            elif "predicted_uncertainty" in x:
                pu, qu = x["predicted_uncertainty"], x["published_uncertainty"]
                click.echo(
                    f"  cross-check {x['id']} uncertainty: predicted +{pu['plus']:.3f} "
                    f"-{pu['minus']:.3f}, published +{qu['plus']} -{qu['minus']}"
                )
            else:
                click.echo(
                    f"  cross-check {x['id']}: published {x['published']:g}, predicted "
                    f"{x['predicted']:.3g} ({100 * x['relative_difference']:+.1f} %)"
                )
        if not dry_run:
            spec = likelihood_spec(ana)
            assert spec.workspace is not None
            ws, meta = cal.built.write(spec.workspace)
            click.echo(f"calibrated approximation written to {ws} and {meta}")
