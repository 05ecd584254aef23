"""``hepreint generate``: Pythia 8 samples for validation and training (the [generate] extra)."""

from __future__ import annotations

import sys

import click

from hepreint.cli.options import Number, parse_params


@click.command()
@click.argument("process", required=False)
@click.option("--events", "n_events", type=Number(int, 1), default=None,
              help="number of events to generate (required)")
@click.option(
    "--seed",
    type=Number(int, 1, 899_999_999),
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
    type=Number(int, 3, 17),
    default=None,
    help="significant digits of momenta in the file (default: HepMC's 16)",
)
@click.option(
    "--lhe",
    default=None,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="shower this LHE file (plain or compressed) with Pythia 8 instead of "
    "generating a PROCESS; --events limits the events, --seed is the shower seed",
)
def generate(
    process: str | None,
    n_events: int | None,
    seed: int | None,
    output: str | None,
    params: tuple[str, ...],
    prune: bool,
    hepmc2: bool,
    precision: int | None,
    lhe: str | None,
) -> None:
    """Generate PROCESS with Pythia 8, or shower an LHE file with --lhe (needs the [generate]
    extra). 'list' lists processes."""
    from hepreint import generate as gen

    if lhe is not None or process is None:
        _shower(lhe, process, n_events, seed, output)
        return
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
            params=parse_params(params),
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


def _shower(lhe: str | None, process: str | None, n_events: int | None, seed: int | None,
            output: str | None) -> None:  # fmt: skip
    from hepreint.engine.options import RunOptions
    from hepreint.generate.lhe import shower_lhe

    if lhe is None:
        raise click.UsageError("give a PROCESS ('list' lists them) or --lhe FILE")
    if process is not None:
        raise click.UsageError(f"give either PROCESS ({process}) or --lhe FILE, not both")
    if output is None:
        raise click.UsageError("generate --lhe needs -o FILE.hepmc3")
    used = seed if seed is not None else RunOptions().seed
    s = shower_lhe(lhe, output, used, max_events=n_events)
    click.echo(
        f"{s.n_events} events of {s.lhe} showered by Pythia {s.pythia_version} (seed {used}) -> "
        f"{s.output} (sigma = {s.sigma_pb:.5g} +- {s.sigma_err_pb:.2g} pb, {s.seconds:.1f} s)"
    )
