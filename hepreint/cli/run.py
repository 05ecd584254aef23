"""``hepreint run``: one or several analyses over event files in one pass."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hepreint.cli.options import build_options, run_options


def split_targets(args: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Leading arguments that name analyses (a directory with analysis.yaml, an analysis.yaml,
    or a shipped analysis' name that is not a file here), then the event files."""
    from hepreint.analysis.catalog import find_analysis

    analyses: list[str] = []
    for i, arg in enumerate(args):
        p = Path(arg)
        is_analysis = (
            (p.is_dir() and (p / "analysis.yaml").is_file())
            or (p.name == "analysis.yaml" and p.is_file())
            or (not p.exists() and find_analysis(arg) is not None)
        )
        if not is_analysis and i > 0:
            return analyses, list(args[i:])
        analyses.append(arg)  # the first one always (its loading names what is wrong)
    return analyses, []


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="ANALYSIS... FILES...")
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(file_okay=False),
    default=None,
    help="directory for results.json (several analyses: DIR/<analysis>/results.json)",
)
@run_options
@click.option("-q", "--quiet", is_flag=True, help="no cut-flow table and no progress bar")
@click.option(
    "--limits",
    "with_limits",
    is_flag=True,
    help="also compute CLs and upper limits with the analysis' likelihood (limits.json)",
)
def run(targets: tuple[str, ...], outdir: str | None, quiet: bool, with_limits: bool,
        **kw: Any) -> None:  # fmt: skip
    """Run ANALYSIS (a directory or a shipped name; several in one pass) on HepMC FILES
    (plain, .gz, .bz2, .zst); LHE files are showered with Pythia 8 first (the [generate]
    extra; seed: --seed). Each event is read once for all analyses."""
    from hepreint.results.output import check_output_dir
    from hepreint.results.run import PartialResultsError, run_many

    analyses, files = split_targets(targets)
    if not files:
        raise click.UsageError("give the analysis (or analyses) and then one or more event files")
    opts, params = build_options(kw, quiet=quiet)
    several = len(analyses) > 1
    if outdir:
        check_output_dir(outdir)  # before the run: a bad -o must not cost the run
    try:
        all_results = run_many(analyses, files, opts, params=params)
    except PartialResultsError as exc:
        if exc.results.yields.n_events == 0:  # nothing was computed: only the error matters
            raise
        for res in exc.all_results.values():
            _show(res, quiet)
            if outdir:
                path = _write(res, _target(outdir, res, several), quiet)
                if path is not None:
                    click.echo(
                        f"hepreint: warning: partial results of {res.yields.n_events} events "
                        f"written to {path}",
                        err=True,
                    )
        raise
    failed = False
    groups = _by_analysis(all_results)
    seen: set[str] = set()
    for res in all_results.values():
        group = groups[res.analysis.name]
        if len(group) > 1 and res is group[0]:
            _compare(group, outdir, several, quiet)
        _show(res, quiet or len(group) > 1, seen)
        path = _write(res, _target(outdir, res, several), quiet) if outdir else None
        failed = failed or (outdir is not None and path is None)
        if path is not None:
            click.echo(f"results written to {path}")
        if with_limits and (path is not None or not outdir):
            _limits(res, path.parent if path is not None else None, quiet)
    if failed:
        sys.exit(2)


def _write(res: Any, target: Path, quiet: bool) -> Path | None:
    """Write one analysis' results; on failure say so in one line and keep the cut-flow on
    stdout (printed now when ``-q`` held it back), so that nothing computed is lost."""
    from hepreint.errors import HepreintError

    notes: list[str] = []
    try:
        path: Path = res.write(target, notes)
    except HepreintError as exc:
        if quiet:
            click.echo(res.cutflow_table())
        click.echo(
            f"hepreint: error: {exc}; the results were NOT saved (the cut-flow is on stdout)",
            err=True,
        )
        return None
    for note in notes:
        click.echo(f"hepreint: warning: {note}", err=True)
    return path


def _target(outdir: str, res: Any, several: bool) -> Path:
    """DIR, DIR/<analysis> with several analyses, then /<detector> with several detectors."""
    path = Path(outdir) / res.analysis.name if several else Path(outdir)
    return path / res.analysis.detector if res.analysis.detector_label else path


def _by_analysis(all_results: dict[str, Any]) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for res in all_results.values():
        groups.setdefault(res.analysis.name, []).append(res)
    return groups


def _compare(group: list[Any], outdir: str | None, several: bool, quiet: bool) -> None:
    """Several detectors for one analysis: one table with their cut-flows side by side."""
    from hepreint.results.compare import side_by_side

    table = side_by_side(group)
    if not quiet:
        click.echo(table)
    if outdir:
        path = Path(outdir) / group[0].analysis.name if several else Path(outdir)
        path.mkdir(parents=True, exist_ok=True)
        (path / "side_by_side.txt").write_text(table + "\n", encoding="utf-8")
        click.echo(f"side-by-side cut-flows written to {path / 'side_by_side.txt'}")


def _show(res: Any, quiet: bool, seen: set[str] | None = None) -> None:
    """The cut-flow and the warnings (each warning once, also across detectors)."""
    if not quiet:
        click.echo(res.cutflow_table())
    for w in res.warnings:
        if seen is None or w not in seen:
            click.echo(f"hepreint: warning: {w}", err=True)
        if seen is not None:
            seen.add(w)


def _limits(res: Any, outdir: Path | None, quiet: bool) -> None:
    from hepreint.stats import compute_limits, limits_table

    lim = compute_limits(res.to_dict(), res.analysis)
    if not quiet:
        click.echo(limits_table(lim, warnings=False))
    for w in lim.warnings:
        click.echo(f"hepreint: warning: {w}", err=True)
    if outdir:
        click.echo(f"limits written to {lim.write(outdir)} [{lim.label}]")
