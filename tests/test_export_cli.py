"""``hepreint export`` through click: formats, limits, and one-line errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import hepreint
from hepreint.cli.export import export
from hepreint.errors import HepreintError
from hepreint.export.checkmate import read_table

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results_json(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ana = hepreint.load_analysis(ROOT / "analyses" / "ttHbb")
    res = hepreint.run(ana, [str(example_sample)], hepreint.RunOptions())
    return res.write(tmp_path_factory.mktemp("run"))


@pytest.mark.parametrize(
    ("fmt", "expect"),
    [
        ("yoda", ["ttHbb.yoda"]),
        ("saf", ["CLs_output_summary.dat", "ttH_pruned/ttHbb/Cutflows/single_lepton.saf"]),
        ("checkmate", ["evaluation/total_results.txt"]),
        ("hepdata", ["submission.yaml", "cutflow_single_lepton.yaml"]),
        ("all", ["yoda/ttHbb.yoda", "ma5/CLs_output_summary.dat", "hepdata/submission.yaml"]),
    ],
)
def test_export_formats(results_json: Path, tmp_path: Path, fmt: str, expect: list[str]) -> None:
    r = CliRunner().invoke(export, [str(results_json), "--format", fmt, "-o", str(tmp_path)])
    assert r.exit_code == 0, r.output
    for rel in expect:
        assert (tmp_path / rel).is_file()
        assert str(tmp_path / rel) in r.output.splitlines()


def test_export_with_limits(results_json: Path, tmp_path: Path) -> None:
    lim = tmp_path / "limits.json"
    lim.write_text(json.dumps({"SR_1l_all": {"s95_obs": 3000, "s95_exp": 2500}, "nope": {}}))
    args = [str(results_json), "--format", "checkmate", "-o", str(tmp_path / "o")]
    r = CliRunner().invoke(export, [*args, "--limits", str(lim)])
    assert r.exit_code == 0, r.output
    assert "not in the results ignored: nope" in r.output
    rows = {
        x["sr"]: x for x in read_table((tmp_path / "o/evaluation/total_results.txt").read_text())
    }
    assert rows["SR_1l_all"]["s95obs"] == 3000
    assert rows["SR_2l_all"]["s95obs"] > 0  # not given: computed from the likelihood's o, b, db
    assert rows["SR_2l_all"]["analysis"] == "atlas_2407_10904" and rows["SR_2l_all"]["b"] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such results file"),
        ("[1, 2", "not JSON"),
        ('{"schema": "hepreint-results/1"}', "damaged results file"),
        ('{"a": 1}', "not a hepreint results file"),
    ],
)
def test_bad_results_file_is_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    p = tmp_path / "results.json"
    if content is not None:
        p.write_text(content)
    r = CliRunner().invoke(export, [str(p), "-o", str(tmp_path / "o")])
    assert isinstance(r.exception, HepreintError)
    assert message in str(r.exception) and "\n" not in str(r.exception)
    assert not (tmp_path / "o").exists()


def test_bad_limits_file_is_one_line(results_json: Path, tmp_path: Path) -> None:
    lim = tmp_path / "limits.json"
    lim.write_text(json.dumps({"single_lepton": {"S95": 1}}))
    args = [str(results_json), "-o", str(tmp_path / "o"), "--limits", str(lim)]
    r = CliRunner().invoke(export, args)
    assert isinstance(r.exception, HepreintError) and "unknown key 'S95'" in str(r.exception)


def test_main_entry_point_reports_errors_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Registered in the main group (as the CLI owner will), errors exit 2 with one line."""
    import click

    from hepreint.cli import main

    group = click.Group(commands={"export": export})
    monkey = pytest.MonkeyPatch()
    monkey.setattr("hepreint.cli.cli", group)
    try:
        with pytest.raises(SystemExit) as exc:
            main(["export", str(tmp_path / "missing.json"), "-o", str(tmp_path)])
    finally:
        monkey.undo()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("hepreint: error:")
