"""``hepreint validate``: run (or read) an analysis' results and compare them with the published
cut-flows in its ``reference/`` directory.

Exit status: 0 when every compared step is within ``validation.relative_tolerance`` (also when
there is nothing to compare, with a warning), 1 when any step is outside, 2 on errors (raised as
:class:`HepreintError`, which the main CLI prints as one line).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from hepreint.cli.options import build_options, run_options


@click.command("validate")
@click.argument("analysis")
@click.argument("files", nargs=-1)
@click.option(
    "--results",
    "results_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="compare an existing results.json instead of running on FILES",
)
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(file_okay=False),
    default="validation",
    show_default=True,
    help="directory for validation.txt/.json/.png (and results.json)",
)
@run_options
@click.option("--no-plot", is_flag=True, help="skip validation.png (needs matplotlib, mplhep)")
@click.option("-q", "--quiet", is_flag=True, help="do not print the table")
def validate(analysis: str, files: tuple[str, ...], results_file: str | None, outdir: str,
             no_plot: bool, quiet: bool, **kw: Any) -> None:  # fmt: skip
    """Compare ANALYSIS run on HepMC FILES (or --results) with its published cut-flows."""
    from hepreint.analysis.spec import load_analysis
    from hepreint.results.output import check_output_dir
    from hepreint.results.run import run as run_analysis
    from hepreint.validation import load_results, write_outputs
    from hepreint.validation import validate as compare_with_references

    if bool(files) == bool(results_file):
        raise click.UsageError("give either event FILES or --results results.json, not both")
    opts, params = build_options(kw, quiet=quiet)
    if results_file and (opts.xsec_pb is not None or opts.lumi_fb is not None
                         or opts.max_events is not None or params):  # fmt: skip
        raise click.UsageError(
            "--xsec, --lumi, --max-events and --param apply to a run, not to --results"
        )
    if len(opts.detectors) > 1:
        raise click.UsageError(
            "validate compares one run with the references: give one --detector (run "
            "'hepreint run --detector a,b' to see several side by side)"
        )
    check_output_dir(outdir)  # before the run: a bad -o must not cost the run
    ana = load_analysis(analysis)
    if params:
        ana = ana.with_parameters(params)
    if results_file:
        results, results_path = load_results(results_file), results_file
    else:
        res = run_analysis(ana, list(files), opts)
        for w in res.warnings:
            click.echo(f"hepreint: warning: {w}", err=True)
        notes: list[str] = []
        results_path = str(res.write(outdir, notes))
        for note in notes:
            click.echo(f"hepreint: warning: {note}", err=True)
        results = load_results(results_path)  # what a later --results run would see
    comparison = compare_with_references(ana, results)
    paths = write_outputs(comparison, outdir, results_path, plot=not no_plot)
    if not quiet:
        click.echo(paths["table"].read_text(encoding="utf-8"), nl=False)
    for w in comparison.warnings if quiet else []:  # else they end the printed table
        click.echo(f"hepreint: warning: {w}", err=True)
    click.echo("validation written to " + ", ".join(str(p) for p in paths.values()))
    if comparison.exit_code:
        sys.exit(comparison.exit_code)
