"""``hepreint merge``: add results files of one analysis run on separate inputs."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False),
              help="directory for the merged results.json")
@click.option(
    "--analysis",
    type=click.Path(exists=True),
    default=None,
    help="analysis directory, if it moved since the runs",
)
def merge(results: tuple[str, ...], outdir: str, analysis: str | None) -> None:
    """Add results.json files of the same analysis run on separate inputs.

    The sums of weights add bit-exactly; yields equal a single run's when the parts were
    normalised with the same cross-section (--xsec).
    """
    from hepreint.results.merge import merge_files
    from hepreint.results.output import check_output_dir

    check_output_dir(outdir)
    notes: list[str] = []
    path = merge_files(
        [Path(r) for r in results], Path(outdir), Path(analysis) if analysis else None, notes
    )
    for w in json.loads(path.read_text(encoding="utf-8"))["warnings"] + notes:
        click.echo(f"hepreint: warning: {w}", err=True)
    click.echo(f"merged results written to {path}")
