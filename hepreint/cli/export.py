"""``hepreint export``: a results.json in the formats Rivet, MadAnalysis5, CheckMATE, HEPData read.

Kept apart from ``cli.py`` so the main group only has to register it
(``cli.add_command(export)``); expected failures are :class:`HepreintError`, which the main
entry point prints as one line.
"""

from __future__ import annotations

from pathlib import Path

import click

from hepreint.export import FORMATS, load_limits, load_results
from hepreint.export import export as export_results
from hepreint.export._common import partial_note
from hepreint.results.output import check_output_dir, record_derived


@click.command("export")
@click.argument("results", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "all"]),
    default="all",
    show_default=True,
    help="yoda (Rivet), saf (MadAnalysis5), checkmate, hepdata, pyhf (signal patch/patchset "
    "for the analysis likelihood); all = one sub-directory each",
)
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(file_okay=False),
    required=True,
    help="directory to write into (created if needed)",
)
@click.option(
    "--limits",
    "limits_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="JSON {region: {s95_obs, s95_exp, cls_obs, cls_exp, r_obs, r_exp}} (s95 in events) "
    "or the limits.json of the stats layer",
)
@click.option("--dataset", default=None, help="sample label for MadAnalysis5 (default: input name)")
@click.option(
    "--yoda-prefix", default=None, help="YODA path prefix (default: /<EXPERIMENT>_<name>)"
)
def export(
    results: str,
    fmt: str,
    outdir: str,
    limits_path: str | None,
    dataset: str | None,
    yoda_prefix: str | None,
) -> None:
    """Write RESULTS (a hepreint results.json) as YODA, MA5 SAF, CheckMATE or HEPData files."""
    doc = load_results(results)
    limits = load_limits(limits_path) if limits_path else None
    check_output_dir(outdir)
    unknown = sorted(set(limits or {}) - set(doc["regions"]))
    if unknown:
        click.echo(
            f"hepreint: warning: limits for regions not in the results ignored: "
            f"{', '.join(unknown)}",
            err=True,
        )
    notes: list[str] = []
    paths = export_results(
        doc, fmt, outdir, limits, dataset=dataset, yoda_prefix=yoda_prefix, notes=notes
    )
    record_derived(Path(results).parent, paths)  # a rerun replacing the results removes them
    for p in paths:
        click.echo(str(p))
    kinds = [f for f in FORMATS if fmt in (f, "all")]
    n = len(paths)
    click.echo(f"exported {n} file{'s' * (n != 1)} ({', '.join(kinds)}) to {outdir}")
    for note in notes:
        click.echo(f"hepreint: warning: {note}", err=True)
    partial = partial_note(doc)
    if partial:
        click.echo(
            f"hepreint: warning: {results}: {partial}; every exported file says so (pyhf's "
            "bare signal_patch.json cannot: its patchset.json does)",
            err=True,
        )
