"""Every command and option says what it is for, in words: ``hepreint X --help`` is a newcomer's
first manual. Walks the whole click command tree, so a new command or option without help fails
here; click's raw range metavars (``FLOAT RANGE [0<x<=1000000000000.0]``) fail too."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from hepreint.cli import cli

RAW_METAVAR = re.compile(r"(INTEGER|FLOAT) RANGE|\[\d[^\]]*<[^\]]*\]|<=\d+\.\d+e?")


def commands(group: click.Command = cli, path: tuple[str, ...] = ()) -> Iterator[tuple]:
    yield path, group
    if isinstance(group, click.Group):
        for name, sub in sorted(group.commands.items()):
            yield from commands(sub, (*path, name))


ALL = list(commands())
IDS = [" ".join(("hepreint", *p)) for p, _ in ALL]


def test_the_tree_is_walked() -> None:
    names = {p[-1] for p, _ in ALL if p}
    assert {"run", "limits", "export", "validate", "plot-limits", "generate"} <= names


@pytest.mark.parametrize(("path", "command"), ALL, ids=IDS)
def test_command_and_options_have_help(path: tuple[str, ...], command: click.Command) -> None:
    where = " ".join(("hepreint", *path))
    assert (command.help or command.short_help or "").strip(), f"{where}: command has no help"
    missing = [
        max(param.opts, key=len)
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert not missing, f"{where}: options without help: {', '.join(missing)}"


@pytest.mark.parametrize(("path", "command"), ALL, ids=IDS)
def test_help_pages_show_no_raw_click_ranges(path: tuple[str, ...], command: click.Command) -> None:
    out = CliRunner().invoke(cli, [*path, "--help"], prog_name="hepreint")
    assert out.exit_code == 0, out.output
    bad = [line for line in out.output.splitlines() if RAW_METAVAR.search(line)]
    assert not bad, f"hepreint {' '.join(path)} --help: {bad}"
    assert "Usage: hepreint" in out.output


@pytest.mark.parametrize(("path", "command"), ALL[1:], ids=IDS[1:])
def test_option_errors_are_one_line(
    path: tuple[str, ...], command: click.Command, capsys: pytest.CaptureFixture[str]
) -> None:
    from hepreint.cli import main

    with pytest.raises(SystemExit) as exit_:
        main([*path, "--no-such-option"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert err.count("\n") == 1 and err.startswith("hepreint: error: "), err
    assert "--no-such-option" in err and f"hepreint {' '.join(path)} --help" in err


def test_the_command_list_is_not_cut_mid_sentence() -> None:
    out = CliRunner().invoke(cli, ["--help"], prog_name="hepreint", terminal_width=80)
    listed = out.output.split("Commands:")[1].splitlines()
    assert len([line for line in listed if line.strip()]) == len(cli.commands)
    assert not [line for line in listed if line.rstrip().endswith("...")], out.output
