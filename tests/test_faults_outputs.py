"""Faults on the output side: unwritable ``-o``, disks that fill up, results files that lie,
NaN, bad option values, reruns into a directory that already holds results.

Every case holds the CLI to its promise: a non-zero exit, stderr of one or a few lines that all
start ``hepreint: error:`` / ``hepreint: warning:`` (no traceback, no click usage block), and
nothing written where nothing should be (and nothing computed lost or silently replaced).
Commands run in-process through :func:`hepreint.cli.main` on 20 events of the example sample.
"""

from __future__ import annotations

import copy
import errno
import gzip
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hepreint.cli import main
from hepreint.results import output

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ttH_pruned.hepmc3.gz"
TTH = str(ROOT / "analyses" / "ttHbb")
# truth level: 20 events keep a few in every region (the faults here are about outputs)
SMALL = ["--max-events", "20", "--detector", "truth"]
Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Run:
    """``cli(*args)`` -> (exit status, stdout, stderr) of ``hepreint args`` in-process."""

    def call(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        out, err = capsys.readouterr()
        return code, out, err

    return call


def one_line(err: str, *needles: str, max_lines: int = 5) -> str:
    """The error line, after checking stderr keeps the one-line promise."""
    assert "Traceback" not in err and "Usage:" not in err, err
    lines = err.strip().splitlines()
    assert 1 <= len(lines) <= max_lines, err
    assert all(ln.startswith(("hepreint: error:", "hepreint: warning:")) for ln in lines), err
    errors = [ln for ln in lines if ln.startswith("hepreint: error:")]
    assert len(errors) >= 1, err
    for n in needles:
        assert n in err, (n, err)
    return errors[0]


def failed(code: int, err: str, *needles: str, max_lines: int = 5) -> str:
    assert code == 2, (code, err)
    return one_line(err, *needles, max_lines=max_lines)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two results of separate events (20 each), a partial one, a truncated event file."""
    base = tmp_path_factory.mktemp("made")
    a, b = base / "a", base / "b"
    for d, extra in ((a, []), (b, ["--skip", "20"])):
        try:
            main(["run", TTH, str(EXAMPLE), "-q", *SMALL, *extra, "-o", str(d)])
        except SystemExit as exc:  # pragma: no cover - only on failure
            pytest.fail(f"setup run failed: {exc}")
    lines = gzip.open(EXAMPLE, "rb").read().split(b"\n")
    starts = [i for i, ln in enumerate(lines) if ln.startswith(b"E ")]
    trunc = base / "trunc.hepmc3"
    trunc.write_bytes(b"\n".join(lines[: starts[12] + 5]) + b"\nP 12 garbage\n")
    return {"a": a / "results.json", "b": b / "results.json", "trunc": trunc, "base": base}


@pytest.fixture
def doc(made: dict[str, Path]) -> dict[str, Any]:
    return copy.deepcopy(json.loads(made["a"].read_text(encoding="utf-8")))


@pytest.fixture
def blocker(tmp_path: Path) -> Path:
    """A regular file where an output directory's parent should be."""
    f = tmp_path / "afile"
    f.write_text("in the way\n")
    return f


def _write(tmp_path: Path, doc: Any, name: str = "results.json") -> Path:
    d = tmp_path / "damaged"
    d.mkdir(exist_ok=True)
    p = d / name
    p.write_text(json.dumps(doc), encoding="utf-8")
    return p


# --- 1. unwritable -o: refused before the work ----------------------------------------------

UNWRITABLE = ["under-a-file", "is-a-file", "dev-full", "under-dev-full"]


def _bad_out(kind: str, blocker: Path) -> Path:
    return {
        "under-a-file": blocker / "out",
        "is-a-file": blocker,
        "dev-full": Path("/dev/full"),
        "under-dev-full": Path("/dev/full/out"),
    }[kind]


def _command(name: str, made: dict[str, Path], out: Path) -> list[Any]:
    return {
        "run": ["run", TTH, EXAMPLE, *SMALL, "-o", out],
        "limits": ["limits", made["a"], "-o", out, "--no-regions"],
        "export": ["export", made["a"], "--format", "yoda", "-o", out],
        "validate": ["validate", TTH, "--results", made["a"], "-o", out, "--no-plot"],
        "validate-run": ["validate", TTH, EXAMPLE, *SMALL, "-o", out, "--no-plot"],
        "merge": ["merge", made["a"], made["b"], "-o", out],
        "plot-limits": ["plot-limits", made["a"], "-o", out / "x.png"],
    }[name]


@pytest.mark.parametrize("kind", UNWRITABLE)
@pytest.mark.parametrize("command", ["run", "limits", "export", "validate", "merge"])
def test_unwritable_output_is_refused_before_the_work(
    cli: Run, made: dict[str, Path], blocker: Path, kind: str, command: str
) -> None:
    out = _bad_out(kind, blocker)
    code, stdout, err = cli(*_command(command, made, out))
    line = failed(code, err, str(out))
    # click's file_okay=False check words "is a file" itself; ours says what to do
    assert ("not a directory" in line and "pass -o" in line) or "is a file" in line, line
    assert "arXiv" not in stdout  # no cut-flow table: the run never started
    assert blocker.read_text() == "in the way\n"


@pytest.mark.parametrize("command", ["validate-run", "plot-limits"])
def test_unwritable_output_other_commands(
    cli: Run, made: dict[str, Path], blocker: Path, command: str
) -> None:
    code, stdout, err = cli(*_command(command, made, blocker / "out"))
    failed(code, err, "not a directory")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
@pytest.mark.parametrize("command", ["run", "export", "merge"])
def test_read_only_directory(cli: Run, made: dict[str, Path], tmp_path: Path, command: str) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        code, _, err = cli(*_command(command, made, ro / "out"))
        failed(code, err, "cannot write into", str(ro))
        assert not (ro / "out").exists()
    finally:
        ro.chmod(0o700)


def test_check_output_dir_creates_nothing(tmp_path: Path) -> None:
    output.check_output_dir(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []


# --- 1b. a write that fails after the work (disk full): one line, nothing lost ---------------


@pytest.fixture
def disk_full(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(output, "_replace", full)


@pytest.mark.parametrize("quiet", [False, True])
def test_run_disk_full_keeps_the_table_on_stdout(
    cli: Run, tmp_path: Path, disk_full: None, quiet: bool
) -> None:
    out = tmp_path / "out"
    code, stdout, err = cli("run", TTH, EXAMPLE, *SMALL, "-o", out, *(["-q"] if quiet else []))
    line = failed(code, err, "No space left on device", "NOT saved")
    assert str(out / "results.json") in line
    assert "single_lepton" in stdout  # the cut-flow is there to copy
    assert not (out / "results.json").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_disk_full_keeps_the_old_results(
    cli: Run, made: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(made["a"], out / "results.json")
    before = (out / "results.json").read_bytes()
    monkeypatch.setattr(output, "_replace", lambda s, d: (_ for _ in ()).throw(OSError(28, "full")))
    code, _, err = cli("run", TTH, EXAMPLE, "--max-events", "10", "-q", "-o", out)
    failed(code, err, "cannot write")
    assert (out / "results.json").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


@pytest.mark.parametrize("command", ["limits", "export", "validate", "merge"])
def test_disk_full_other_commands(
    cli: Run, made: dict[str, Path], tmp_path: Path, disk_full: None, command: str
) -> None:
    out = tmp_path / "out"
    code, _, err = cli(*_command(command, made, out))
    failed(code, err, "No space left on device", "free space")


# --- 3. results files that lie, or are not results ---------------------------------------------


def _region(doc: dict[str, Any]) -> str:
    return "single_lepton"


def _bump_hex(v: str) -> str:
    return hex(2 * int(v, 16) + (1 << 1126))  # twice the sum, plus 1.0


DAMAGE: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "exact-n-events": (lambda d: d["exact"].update(n_events=d["exact"]["n_events"] + 1),
                       "exact.n_events"),
    "exact-sumw-all": (lambda d: d["exact"]["sumw_all"].__setitem__(
        0, _bump_hex(d["exact"]["sumw_all"][0])), "normalisation.sumw_all"),
    "exact-sumw-all-not-hex": (lambda d: d["exact"]["sumw_all"].__setitem__(0, "12"),
                               "exact.sumw_all[0]"),
    "exact-sumw2-all-negative": (lambda d: d["exact"]["sumw2_all"].__setitem__(0, "-0x10"),
                                 "exact.sumw2_all[0]"),
    "exact-sumw-all-too-few": (lambda d: d["exact"].update(sumw_all=[]), "exact.sumw_all"),
    "exact-n-not-raw": (lambda d: d["exact"]["regions"]["single_lepton"]["n"].__setitem__(
        1, d["exact"]["regions"]["single_lepton"]["n"][1] - 1), "cutflow[1].raw"),
    "exact-n-grows": (lambda d: _grow(d), "exact.regions.single_lepton.n[1]"),
    "exact-n-negative": (lambda d: d["exact"]["regions"]["single_lepton"]["n"].__setitem__(
        0, -1), "exact.regions.single_lepton.n[0]"),
    "exact-sumw-step": (lambda d: _set_step(d, "sumw", 0, _bump_hex), "cutflow[0].sumw"),
    "exact-sumw2-step-negative": (lambda d: _set_step(d, "sumw2", 0, lambda v: "-0x1"),
                                  "exact.regions.single_lepton.sumw2[0][0]"),
    "exact-steps-renamed": (lambda d: d["exact"]["regions"]["single_lepton"]["steps"]
                            .__setitem__(0, "renamed"), "exact.regions.single_lepton.steps"),
    "exact-region-missing": (lambda d: d["exact"]["regions"].pop("dilepton"), "exact.regions"),
    "exact-row-length": (lambda d: d["exact"]["regions"]["single_lepton"]["sumw"][0].append(
        "0x1"), "exact.regions.single_lepton.sumw[0]"),
    "exact-sumw-wrong-type": (lambda d: d["exact"]["regions"]["single_lepton"].update(sumw=7),
                              "exact.regions.single_lepton.sumw"),
    "exact-huge-hex": (lambda d: d["exact"]["sumw_all"].__setitem__(0, "0x" + "f" * 700),
                       "exact.sumw_all[0]"),
    "float-yield-lies": (lambda d: d["regions"]["single_lepton"].update(
        **{"yield": d["regions"]["single_lepton"]["yield"] * 2 + 1}), "regions.single_lepton"),
    "float-sumw-all-lies": (lambda d: d["normalisation"].update(sumw_all=1.5),
                            "normalisation.sumw_all"),
    "factor-lies": (lambda d: d["normalisation"].update(factor=d["normalisation"]["factor"] * 3),
                    "normalisation.factor"),
    "negative-n-events": (lambda d: d["normalisation"].update(n_events=-5),
                          "normalisation.n_events"),
    "raw-wrong-type": (lambda d: d["regions"]["single_lepton"].update(raw="many"),
                       "regions.single_lepton.raw"),
    "missing-exact": (lambda d: d.pop("exact"), "'exact' is a required property"),
    "missing-regions": (lambda d: d.pop("regions"), "'regions' is a required property"),
    "negative-events-read": (lambda d: d["provenance"]["inputs"][0].update(events_read=-1),
                             "provenance.inputs[0].events_read"),
    "nan-yield": (lambda d: d["regions"]["single_lepton"].update(**{"yield": float("nan")}),
                  "regions.single_lepton.yield"),
    "inf-sumw2": (lambda d: d["regions"]["single_lepton"]["cutflow"][0].update(
        sumw2=float("inf")), "regions.single_lepton.cutflow[0].sumw2"),
    "other-schema": (lambda d: {"schema": "hepreint-limits/1"}, "not a hepreint results file"),
    "a-list": (lambda d: [1, 2, 3], "not a hepreint results file"),
}  # fmt: skip


def _grow(d: dict[str, Any]) -> None:
    ex = d["exact"]["regions"]["single_lepton"]
    ex["n"][1] = ex["n"][0] + 1
    d["regions"]["single_lepton"]["cutflow"][1]["raw"] = ex["n"][1]


def _set_step(d: dict[str, Any], key: str, i: int, f: Callable[[str], str]) -> None:
    row = d["exact"]["regions"]["single_lepton"][key][i]
    row[0] = f(row[0])


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_damaged_results_refused_by_export(
    cli: Run, doc: dict[str, Any], tmp_path: Path, case: str
) -> None:
    damage, where = DAMAGE[case]
    new = damage(doc)
    p = _write(tmp_path, doc if new is None or new is doc or case.startswith("missing")
               or case.startswith("exact-region") else new)  # fmt: skip
    out = tmp_path / "out"
    code, _, err = cli("export", p, "--format", "yoda", "-o", out)
    line = failed(code, err, str(p), where, max_lines=1)
    assert "rerun" in line or "pass a results.json" in line
    assert not out.exists()


RAW_DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2].encode(),
    "empty": lambda text: b"",
    "not-utf8": lambda text: b"\xff\xfe" + text.encode("utf-16-le"),
    "huge-float": lambda text: text.replace('"sumw_all": ', '"sumw_all": 1e999, "x": ', 1).encode(),
}


@pytest.mark.parametrize("case", sorted(RAW_DAMAGE))
def test_unreadable_results_refused(
    cli: Run, made: dict[str, Path], tmp_path: Path, case: str
) -> None:
    p = tmp_path / "results.json"
    p.write_bytes(RAW_DAMAGE[case](made["a"].read_text(encoding="utf-8")))
    code, _, err = cli("export", p, "--format", "yoda", "-o", tmp_path / "out")
    failed(code, err, str(p), max_lines=1)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["limits", "validate", "merge"])
def test_nan_results_refused_by_every_reader(
    cli: Run, doc: dict[str, Any], made: dict[str, Path], tmp_path: Path, command: str
) -> None:
    doc["regions"]["single_lepton"]["yield"] = float("nan")
    p = _write(tmp_path, doc)
    out = tmp_path / "out"
    args = {
        "limits": ["limits", p, "-o", out],
        "validate": ["validate", TTH, "--results", p, "-o", out, "--no-plot"],
        "merge": ["merge", p, made["b"], "-o", out],
    }[command]
    code, _, err = cli(*args)
    failed(code, err, str(p), "regions.single_lepton.yield", "not a finite number", max_lines=1)
    assert "scipy" not in err and "AssertionError" not in err
    assert not out.exists()


def test_limits_refuse_nan_in_memory_before_any_fit(doc: dict[str, Any]) -> None:
    from hepreint.analysis.spec import load_analysis
    from hepreint.errors import HepreintError
    from hepreint.stats import compute_limits

    doc["regions"]["single_lepton"]["yield"] = float("nan")
    with pytest.raises(HepreintError, match="not a finite number; no fit"):
        compute_limits(doc, load_analysis(TTH))


def test_merge_refuses_a_negative_event_count(
    cli: Run, doc: dict[str, Any], made: dict[str, Path], tmp_path: Path
) -> None:
    doc["exact"]["n_events"] = -3
    doc["normalisation"]["n_events"] = -3
    p = _write(tmp_path, doc)
    code, _, err = cli("merge", made["b"], p, "-o", tmp_path / "m")
    failed(code, err, str(p), "n_events", "minimum", max_lines=1)
    assert not (tmp_path / "m").exists()


# --- 3b. merge: the same events twice -------------------------------------------------------


def test_merge_refuses_the_same_file_twice(cli: Run, made: dict[str, Path], tmp_path: Path) -> None:
    code, _, err = cli("merge", made["a"], made["b"], made["a"], "-o", tmp_path / "m")
    failed(code, err, "given twice", max_lines=1)
    assert not (tmp_path / "m").exists()


def test_merge_refuses_a_copy(cli: Run, made: dict[str, Path], tmp_path: Path) -> None:
    copy_ = tmp_path / "copy.json"
    shutil.copy(made["a"], copy_)
    code, _, err = cli("merge", made["a"], copy_, "-o", tmp_path / "m")
    failed(code, err, "same events", max_lines=1)
    assert not (tmp_path / "m").exists()


def test_merge_of_separate_events_still_works(
    cli: Run, made: dict[str, Path], tmp_path: Path
) -> None:
    code, out, err = cli("merge", made["a"], made["b"], "-o", tmp_path / "m")
    assert code == 0, err
    merged = json.loads((tmp_path / "m" / "results.json").read_text())
    assert merged["normalisation"]["n_events"] == 40


# --- 4. NaN never written; partial results say so in every export ------------------------------


def test_json_writers_refuse_nan(tmp_path: Path) -> None:
    from hepreint.errors import HepreintError

    with pytest.raises(HepreintError, match="non-finite"):
        output.write_json(tmp_path / "x.json", {"a": float("nan")}, "a test document")
    assert not (tmp_path / "x.json").exists()


@pytest.fixture(scope="module")
def partial_results(made: dict[str, Path]) -> Path:
    out = made["base"] / "partial"
    with pytest.raises(SystemExit):
        main(["run", TTH, str(made["trunc"]), "-q", "-o", str(out)])
    doc = json.loads((out / "results.json").read_text())
    assert doc["status"] == "partial"
    return out / "results.json"


@pytest.mark.parametrize("fmt", ["yoda", "saf", "checkmate", "hepdata"])
def test_partial_export_says_partial(
    cli: Run, partial_results: Path, tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / "out"
    code, _, err = cli("export", partial_results, "--format", fmt, "-o", out)
    assert code == 0, err
    assert "hepreint: warning:" in err and "PARTIAL" in err and "Traceback" not in err
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and all("PARTIAL" in p.read_text(encoding="utf-8") for p in files), files


@pytest.mark.slow
def test_partial_export_pyhf_says_partial(cli: Run, partial_results: Path, tmp_path: Path) -> None:
    code, _, err = cli("export", partial_results, "--format", "pyhf", "-o", tmp_path / "o")
    if code == 0:
        patchset = json.loads((tmp_path / "o" / "patchset.json").read_text())
        assert "PARTIAL" in patchset["metadata"]["description"]
    else:  # 12 events may leave a bin empty: refused in one line, never a traceback
        failed(code, err)


# --- 5. bad option values: one line naming the option -------------------------------------


def _opts(made: dict[str, Path]) -> list[tuple[list[Any], str]]:
    run = ["run", TTH, EXAMPLE]
    val = ["validate", TTH, EXAMPLE]
    cal = ["calibrate", TTH, made["a"], "--dry-run"]
    return [
        ([*run, "--batch-size", "0"], "--batch-size 0: must be >= 1"),
        ([*run, "--batch-size", "-5"], "--batch-size -5: must be >= 1"),
        ([*run, "--batch-size", "ten"], "--batch-size 'ten': not a whole number"),
        ([*run, "--max-events", "0"], "--max-events 0: must be >= 1"),
        ([*run, "--max-events", "2.5"], "--max-events '2.5': not a whole number"),
        ([*run, "--skip", "-1"], "--skip -1: must be >= 0"),
        ([*run, "--workers", "0"], "--workers 0: must be >= 1"),
        ([*run, "--xsec", "0"], "--xsec 0: must be > 0"),
        ([*run, "--xsec", "-1"], "--xsec -1: must be > 0"),
        ([*run, "--xsec", "nan"], "--xsec nan: must be a finite number"),
        ([*run, "--xsec", "inf"], "--xsec inf: must be a finite number"),
        ([*run, "--xsec", "lots"], "--xsec 'lots': not a number"),
        ([*run, "--lumi", "0"], "--lumi 0: must be > 0"),
        ([*run, "--lumi", "1e10"], "--lumi 1e10: must be <= 1e+09"),
        ([*run, "--seed", "-1"], "--seed -1: must be >= 0"),
        ([*run, "--executor", "gpu"], "--executor: 'gpu' is not one of"),
        ([*run, "--reader", "slow"], "--reader: 'slow' is not one of"),
        ([*run, "--param", "mX=nan"], "--param 'mX=nan'"),
        ([*run, "--param", "mX"], "--param 'mX'"),
        ([*run, "--no-such-option"], "No such option '--no-such-option'"),
        ([*val, "--batch-size", "0"], "--batch-size 0: must be >= 1"),
        ([*cal, "--rel-uncertainty", "-1"], "--rel-uncertainty -1: must be >= 0"),
        ([*cal, "--rel-uncertainty", "nan"], "--rel-uncertainty nan: must be a finite number"),
        ([*cal, "--rel-uncertainty", "big"], "--rel-uncertainty 'big': not a number"),
        ([*cal, "--xsec-fb", "0"], "--xsec-fb 0: must be > 0"),
        ([*cal, "--xsec-fb", "-2"], "--xsec-fb -2: must be > 0"),
        (["export", made["a"], "-o", "x", "--format", "root"], "--format: 'root' is not one of"),
        (["export", made["a"]], "Missing option '-o'"),
        (["limits"], "Missing argument 'RESULTS'"),
        (["generate", "ttH", "--events", "0"], "--events 0: must be >= 1"),
        (["generate", "ttH", "--seed", "0"], "--seed 0: must be >= 1"),
        (["generate", "ttH", "--precision", "2"], "--precision 2: must be >= 3"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ]


OPTION_CASES = 33


@pytest.mark.parametrize("i", range(OPTION_CASES))
def test_bad_option_value_is_one_line(
    cli: Run, made: dict[str, Path], tmp_path: Path, i: int
) -> None:
    cases = _opts(made)
    assert len(cases) == OPTION_CASES
    args, expected = cases[i]
    code, stdout, err = cli(*args)
    line = failed(code, err, max_lines=1)
    assert expected in line and "--help" in line, line
    assert stdout == ""


# --- 2. reruns into a directory that holds results --------------------------------------------


def test_complete_then_partial_keeps_the_complete(
    cli: Run, made: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(made["a"], out / "results.json")
    before = (out / "results.json").read_bytes()
    code, _, err = cli("run", TTH, made["trunc"], "-q", "-o", out, "--detector", "truth")
    failed(code, err, "holds complete results and is kept", "results.partial.json")
    assert (out / "results.json").read_bytes() == before
    partial = json.loads((out / "results.partial.json").read_text())
    assert partial["status"] == "partial"


def test_partial_then_complete_replaces_the_partial(
    cli: Run, partial_results: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(partial_results, out / "results.json")
    shutil.copy(partial_results, out / "results.partial.json")
    code, _, err = cli("run", TTH, EXAMPLE, *SMALL, "-q", "-o", out)
    assert code == 0, err
    assert json.loads((out / "results.json").read_text())["status"] == "complete"
    assert not (out / "results.partial.json").exists()
    assert "results.partial.json: superseded" in err


def test_results_then_limits_then_new_run_removes_the_stale_limits(
    cli: Run, made: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(made["a"], out / "results.json")
    code, _, err = cli("limits", out, "-q", "--no-regions")
    assert code == 0, err
    assert (out / "limits.json").is_file()
    code, _, err = cli("run", TTH, EXAMPLE, "--max-events", "25", "-q", "-o", out)
    assert code == 0, err
    assert not (out / "limits.json").exists()
    assert "removed limits.json" in err and "Traceback" not in err


def test_export_into_the_results_directory_is_removed_on_rerun(
    cli: Run, made: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(made["a"], out / "results.json")
    code, _, err = cli("export", out / "results.json", "--format", "yoda", "-o", out / "yoda")
    assert code == 0, err
    assert list((out / "yoda").iterdir())
    (out / "validation.json").write_text("{}")  # a stale report of the old results
    code, _, err = cli("run", TTH, EXAMPLE, "--max-events", "25", "-q", "-o", out)
    assert code == 0, err
    assert not list((out / "yoda").iterdir()) and not (out / "validation.json").exists()
    assert "derived from the results this run replaced" in err


def test_the_same_run_twice_replaces_without_noise(
    cli: Run, made: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    for _ in range(2):
        code, _, err = cli("run", TTH, EXAMPLE, *SMALL, "-q", "-o", out)
        assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]
