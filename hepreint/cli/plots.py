"""``hepreint plot-limits``: the Brazil band of a parameter scan, one limits.json per point.

Registered by hepreint.cli (``cli.add_command(plot_limits)``). Expected failures print one line
and exit 2, also when the command runs on its own (tests, scripts).
"""

from __future__ import annotations

from pathlib import Path

import click

from hepreint.cli.stats import _one_line_errors


@click.command("plot-limits")
@click.argument("limits", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--param",
    default=None,
    help="analysis parameter on the x axis, e.g. mX (default: the one all files share)",
)
@click.option(
    "-o",
    "--output",
    default=None,
    type=click.Path(dir_okay=False),
    help="PNG to write (default: limits_vs_<param>.png, mu_limits_vs_<param>.png with --mu)",
)
@click.option("--mu", is_flag=True, help="limits on the signal strength mu instead of sigma [fb]")
@click.option(
    "--theory",
    default=None,
    type=click.Path(dir_okay=False),
    help="YAML with 'x' and 'sigma_fb' lists (optional 'label'): a theory curve to compare with",
)
@click.option("--unit", default=None, help="unit of the parameter (default: from analysis.yaml)")
def plot_limits(
    limits: tuple[str, ...],
    param: str | None,
    output: str | None,
    mu: bool,
    theory: str | None,
    unit: str | None,
) -> None:
    """Expected (±1σ, ±2σ) and observed 95% CL limits against PARAM from several LIMITS files
    (the limits.json of 'hepreint limits', one per parameter point)."""
    from hepreint.errors import HepreintError
    from hepreint.results.output import check_output_dir
    from hepreint.stats.bands import plot_limit_bands
    from hepreint.stats.limit_points import read_limit_points, read_theory

    with _one_line_errors():
        if output:  # before reading the points: a bad -o must not cost the work
            check_output_dir(Path(output).parent, "-o")
        if mu and theory:
            raise HepreintError("plot-limits: --theory is a cross-section curve; drop --mu")
        scan = read_limit_points(list(limits), param, mu=mu)
        if unit is not None:
            scan.unit = unit
        curve = read_theory(theory) if theory else None
        for w in scan.warnings:
            click.echo(f"hepreint: warning: {w}", err=True)
        out = Path(output or f"{'mu_' if mu else ''}limits_vs_{scan.param}.png")
        png = plot_limit_bands(scan, out, curve)
        what = "mu" if mu else "sigma [fb]"
        click.echo(
            f"limits on {what} vs {scan.param} ({len(scan.points)} points) written to {png}"
            f" [{scan.label}]"
        )
