"""The ``hepreint`` command: parse arguments, call the library, print. Nothing else lives here.

Every expected failure is a :class:`HepreintError`: printed as one line (per problem) on stderr,
exit status 2, no traceback. Partial results of a run that failed part-way are written first.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from hepreint._version import __version__
from hepreint.errors import HepreintError


def _params(values: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for v in values:
        key, sep, num = v.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(num)
        except ValueError:
            raise click.BadParameter(f"{v!r}: expected NAME=NUMBER, e.g. mX=500") from None
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hepreint")
def cli() -> None:
    """Run preserved LHC analyses on HepMC events: yields, cut-flows, results with provenance."""


@cli.command()
@click.argument("analysis")
@click.argument("files", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    "outdir",
    type=click.Path(file_okay=False),
    default=None,
    help="directory for results.json (default: print only)",
)
@click.option(
    "--xsec",
    type=click.FloatRange(min=0, min_open=True, max=1e12),
    default=None,
    help="cross-section in pb (overrides the file)",
)
@click.option(
    "--lumi",
    type=click.FloatRange(min=0, min_open=True, max=1e9),
    default=None,
    help="luminosity in fb^-1 (default: analysis)",
)
@click.option("--max-events", type=click.IntRange(min=1), default=None)
@click.option("--skip", type=click.IntRange(min=0), default=0, help="skip the first N events")
@click.option("--batch-size", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option(
    "--seed",
    type=int,
    default=12345,
    show_default=True,
    help="seed of every random draw (recorded in the output)",
)
@click.option(
    "--param", "params", multiple=True, help="analysis parameter NAME=VALUE (e.g. mX=500)"
)
@click.option(
    "--executor",
    type=click.Choice(["serial", "processes", "dask"]),
    default="serial",
    show_default=True,
)
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option(
    "--skip-bad-events",
    is_flag=True,
    help="report and skip broken events instead of stopping at the first",
)
@click.option(
    "--reader",
    type=click.Choice(["pyhepmc", "fast"]),
    default="fast",
    show_default=True,
    help="HepMC reader: fast (our vectorised HepMC3 parser, tested identical to pyhepmc and "
    "stricter on broken lines; HepMC2 files go through pyhepmc) or pyhepmc (the reference)",
)
@click.option("-q", "--quiet", is_flag=True, help="do not print the cut-flow table")
@click.option(
    "--limits",
    "with_limits",
    is_flag=True,
    help="also compute CLs and upper limits with the analysis' likelihood (limits.json)",
)
def run(
    analysis: str,
    files: tuple[str, ...],
    outdir: str | None,
    xsec: float | None,
    lumi: float | None,
    max_events: int | None,
    skip: int,
    batch_size: int,
    seed: int,
    params: tuple[str, ...],
    executor: str,
    workers: int,
    skip_bad_events: bool,
    reader: str,
    quiet: bool,
    with_limits: bool,
) -> None:
    """Run ANALYSIS (a directory or a shipped name) on HepMC FILES (plain, .gz, .bz2, .zst)."""
    from hepreint.engine.runner import PartialResultsError, RunOptions
    from hepreint.engine.runner import run as run_analysis

    opts = RunOptions(
        xsec_pb=xsec,
        lumi_fb=lumi,
        max_events=max_events,
        skip=skip,
        batch_size=batch_size,
        seed=seed,
        executor=executor,
        workers=workers,
        skip_bad_events=skip_bad_events,
        reader=reader,
        command="hepreint " + " ".join(sys.argv[1:]),
    )
    try:
        results = run_analysis(analysis, files, opts, params=_params(params))
    except PartialResultsError as exc:
        res = exc.results
        if res.yields.n_events == 0:  # nothing was computed: only the error matters
            raise
        if not quiet:
            click.echo(res.cutflow_table())
        for w in res.warnings:
            click.echo(f"hepreint: warning: {w}", err=True)
        if outdir:
            path = res.write(outdir)
            click.echo(
                f"partial results of {res.yields.n_events} events written to {path}", err=True
            )
        raise
    if not quiet:
        click.echo(results.cutflow_table())
    for w in results.warnings:
        click.echo(f"hepreint: warning: {w}", err=True)
    if outdir:
        path = results.write(outdir)
        click.echo(f"results written to {path}")
    if with_limits:
        from hepreint.stats import compute_limits, limits_table

        lim = compute_limits(results.to_dict(), results.analysis)
        if not quiet:
            click.echo(limits_table(lim))
        for w in lim.warnings:
            click.echo(f"hepreint: warning: {w}", err=True)
        if outdir:
            click.echo(f"limits written to {lim.write(outdir)} [{lim.label}]")


@cli.command("list")
def list_cmd() -> None:
    """List the preserved analyses with title, arXiv and status."""
    from hepreint.analysis.catalog import list_analyses
    from hepreint.analysis.yamlfile import load_yaml

    for path in list_analyses():
        meta = load_yaml(path / "analysis.yaml").data.get("metadata", {})
        click.echo(
            f"{path.name:<12} arXiv:{meta.get('arxiv', '?'):<12} "
            f"{meta.get('status', '?'):<13} {meta.get('title', '')}"
        )
        click.echo(f"{'':<12} {path}")


@cli.command()
@click.argument("analysis")
def inspect(analysis: str) -> None:
    """Show an analysis: objects, overlap removal, variables, cuts, regions, networks."""
    from hepreint.analysis.spec import load_analysis

    a = load_analysis(analysis)
    m = a.metadata
    click.echo(f"{m['name']}: {m['title']}")
    click.echo(
        f"  {m['experiment']}, arXiv:{m['arxiv']}, sqrt(s) = {m['sqrt_s_TeV']} TeV, "
        f"L = {m['luminosity_fb']} fb^-1, status: {m['status']}"
    )
    click.echo(f"  sha256 {a.digest()}")
    if a.parameters:
        click.echo("parameters: " + ", ".join(f"{k}={v:g}" for k, v in a.parameters.items()))
    click.echo("objects:")
    for name, spec in a.raw["objects"].items():
        desc = ", ".join(f"{k}={v}" for k, v in spec.items() if k != "source")
        click.echo(f"  {name:<14} {desc}")
    if a.overlap_removal:
        click.echo("overlap removal:")
        for r in a.overlap_removal:
            click.echo(f"  remove {r.remove} within dR < {r.dR:g} of {r.near}")
    click.echo("variables:")
    for name, c in a.variables.items():
        click.echo(f"  {name:<14} = {c.source}")
    click.echo("cuts:")
    for name, c in a.cuts.items():
        click.echo(f"  {name:<18} {c.source}")
    click.echo("regions:")
    for region in a.regions:
        steps = " -> ".join(s.label for s in region.steps[1:])
        click.echo(f"  {region.name:<26} {steps}")
    nets = a.raw.get("networks") or {}
    click.echo("networks: " + (", ".join(nets) if nets else "none"))
    refs = (
        sorted((a.directory / "reference").glob("*"))
        if (a.directory / "reference").is_dir()
        else []
    )
    click.echo("references: " + (", ".join(p.name for p in refs) if refs else "none"))


@cli.command()
@click.argument("process")
@click.option("--events", "n_events", type=click.IntRange(min=1), default=None)
@click.option(
    "--seed",
    type=click.IntRange(min=1, max=899_999_999),
    default=None,
    help="Pythia seed (recorded in the file's run info)",
)
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(dir_okay=False),
    help="FILE.hepmc3 or FILE.hepmc3.gz (HepMC2 with --hepmc2)",
)
@click.option("--param", "params", multiple=True, help="process parameter, e.g. mX=500 mS=100")
@click.option("--prune", is_flag=True, help="keep only the record an analysis needs (smaller)")
@click.option("--hepmc2", is_flag=True, help="write HepMC2 IO_GenEvent instead of HepMC3")
@click.option(
    "--precision",
    type=click.IntRange(min=3, max=17),
    default=None,
    help="significant digits of momenta in the file (default: HepMC's 16)",
)
def generate(
    process: str,
    n_events: int | None,
    seed: int | None,
    output: str | None,
    params: tuple[str, ...],
    prune: bool,
    hepmc2: bool,
    precision: int | None,
) -> None:
    """Generate PROCESS with Pythia 8 (needs the [generate] extra). 'list' lists processes."""
    from hepreint import generate as gen

    if process == "list":
        for name, desc in gen.list_processes().items():
            click.echo(f"{name:<12} {desc}")
        return
    missing = [
        o for o, v in (("--events", n_events), ("--seed", seed), ("-o", output)) if v is None
    ]
    if missing:
        raise click.UsageError(f"generate {process} needs {', '.join(missing)}")
    assert n_events is not None and seed is not None and output is not None
    with click.progressbar(length=n_events, label=f"generating {process}", file=sys.stderr) as bar:
        done = [0]

        def progress(i: int) -> None:
            bar.update(i - done[0])
            done[0] = i

        summary = gen.generate(
            process,
            n_events,
            seed,
            output,
            params=_params(params),
            prune=prune,
            hepmc_version=2 if hepmc2 else 3,
            precision=precision,
            progress=progress,
        )
    click.echo(
        f"{summary.n_events} {summary.process} events -> {summary.output} "
        f"(sigma = {summary.sigma_pb:.5g} +- {summary.sigma_err_pb:.2g} pb, "
        f"{summary.seconds:.1f} s)"
    )
    if process.startswith("X_"):
        click.echo(
            "hepreint: warning: Pythia's cross-section of this BSM resonance is not physical "
            "(forced narrow width, default couplings): normalise runs with --xsec in pb",
            err=True,
        )


@cli.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False))
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

    path = merge_files(
        [Path(r) for r in results], Path(outdir), Path(analysis) if analysis else None
    )
    for w in json.loads(path.read_text(encoding="utf-8"))["warnings"]:
        click.echo(f"hepreint: warning: {w}", err=True)
    click.echo(f"merged results written to {path}")


def _register() -> None:
    """Commands that live in their own modules (one concern each)."""
    from hepreint.cli.export import export
    from hepreint.cli.plots import plot_limits
    from hepreint.cli.stats import calibrate, limits
    from hepreint.cli.validate import validate

    cli.add_command(limits)
    cli.add_command(calibrate)
    cli.add_command(validate)
    cli.add_command(export)
    cli.add_command(plot_limits)


_register()


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="hepreint", standalone_mode=False)
    except HepreintError as exc:
        for line in str(exc).splitlines():
            click.echo(f"hepreint: error: {line}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("hepreint: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except json.JSONDecodeError as exc:
        click.echo(f"hepreint: error: invalid JSON: {exc}", err=True)
        sys.exit(2)
