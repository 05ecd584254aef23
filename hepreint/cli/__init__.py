"""The ``hepreint`` command: parse arguments, call the library, print. Nothing else lives here.

One thin module per command group; the run options shared by ``run`` and ``validate`` come
from :mod:`.options`. Every expected failure is a :class:`HepreintError`: printed as one line
(per problem) on stderr, exit status 2 (130/143 after Ctrl-C/SIGTERM), no traceback. Partial
results of a run that stopped part-way are written first.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from hepreint._version import __version__
from hepreint.cli.options import Number
from hepreint.errors import HepreintError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hepreint")
def cli() -> None:
    """Run preserved LHC analyses on HepMC events: yields, cut-flows, results with provenance."""


def _register() -> None:
    from hepreint.cli.export import export
    from hepreint.cli.generate import generate
    from hepreint.cli.info import inspect, list_cmd
    from hepreint.cli.merge import merge
    from hepreint.cli.plots import plot_limits
    from hepreint.cli.run import run
    from hepreint.cli.scan import scan
    from hepreint.cli.stats import calibrate, limits
    from hepreint.cli.validate import validate

    for command in (run, list_cmd, inspect, generate, merge, limits, calibrate, validate,
                    export, plot_limits, scan):  # fmt: skip
        command.short_help = command.short_help or SHORT_HELP.get(command.name or "")
        cli.add_command(command)


#: the one-line summaries of ``hepreint --help`` (click cuts the docstrings' first lines at
#: the terminal width, mid-sentence)
SHORT_HELP = {
    "run": "Run analyses on HepMC files: cut-flows, yields, results.json.",
    "list": "List the preserved analyses (title, arXiv, status).",
    "inspect": "Show an analysis' objects, cuts, regions and references.",
    "generate": "Generate Pythia 8 samples, or shower LHE files.",
    "merge": "Add results.json files of split runs of one analysis.",
    "limits": "CLs and 95% CL upper limits for a results.json.",
    "calibrate": "Calibrate a counting likelihood on SM signal yields.",
    "validate": "Compare cut-flows with the published references.",
    "export": "Write results as YODA, MA5 SAF, CheckMATE, HEPData, pyhf.",
    "plot-limits": "Brazil band of limits against an analysis parameter.",
    "scan": "Scan a grid of signal points: efficiency and limit maps.",
}


_register()


def click_error_line(exc: click.ClickException) -> str:
    """One line for a usage error: the option, what is wrong, where to look. Click's own form
    (usage, hint, blank line, error) is three lines that bury the one that matters."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "hepreint"
    param = getattr(exc, "param", None)
    if isinstance(exc, click.BadParameter) and not isinstance(exc, click.MissingParameter):
        if param is not None and param.param_type_name == "option":
            name = max(param.opts, key=len)
        elif param is not None:
            name = param.human_readable_name
        else:
            name = ""
        # our Number type says "VALUE: must be ..."; click's types say "'VALUE' is not ..."
        sep = " " if isinstance(getattr(param, "type", None), Number) else ": "
        text = f"{name}{sep}{exc.message}" if name else exc.message
    else:
        text = exc.format_message()
    text = " ".join(text.split()).rstrip(".")
    return f"{text} (see '{command} --help')"


def main(argv: list[str] | None = None) -> Any:
    try:
        return cli.main(args=argv, prog_name="hepreint", standalone_mode=False)
    except HepreintError as exc:
        for line in str(exc).splitlines():
            click.echo(f"hepreint: error: {line}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except click.exceptions.Abort:
        click.echo("hepreint: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        click.echo(f"hepreint: error: {click_error_line(exc)}", err=True)
        sys.exit(exc.exit_code if exc.exit_code else 2)
    except json.JSONDecodeError as exc:
        click.echo(f"hepreint: error: invalid JSON: {exc}", err=True)
        sys.exit(2)
