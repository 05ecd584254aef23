"""End to end through the CLI: the numbers a user gets, and that they do not depend on how the
events are stored, batched, split or scheduled."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pyhepmc
import pytest

from hepreint.analysis.schemas import load_schema

ROOT = Path(__file__).resolve().parent.parent
TTH = str(ROOT / "analyses" / "ttHbb")
pytestmark = pytest.mark.slow  # every test starts `python -m hepreint` subprocesses; the fast
# lane has the same checks on smaller inputs in test_cli_smoke.py


def hepreint(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hepreint", *args],
        capture_output=True, text=True, cwd=cwd, timeout=600,
    )  # fmt: skip


def results(d: Path) -> dict:
    return json.loads((d / "results.json").read_text())


@pytest.fixture(scope="module")
def one_run(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("one")
    p = hepreint("run", TTH, str(example_sample), "-o", str(out))
    assert p.returncode == 0, p.stderr
    (out / "stdout.txt").write_text(p.stdout)
    return out


def test_run_prints_both_channels_and_writes_valid_json(one_run: Path) -> None:
    out = (one_run / "stdout.txt").read_text()
    assert "[single_lepton]" in out and "[dilepton]" in out
    assert "FastJet" not in out  # the licence banner must not pollute the table
    doc = results(one_run)
    jsonschema.validate(doc, load_schema("results"))
    assert doc["status"] == "complete"
    assert (
        doc["normalisation"]["normalised"] and doc["normalisation"]["xsec_source"] == "input file"
    )
    sl = doc["regions"]["single_lepton"]["cutflow"]
    raws = [s["raw"] for s in sl]
    assert raws[0] == doc["normalisation"]["n_events"] > 0
    assert raws == sorted(raws, reverse=True) and raws[-1] > 0
    # yields are Σw·σ·L/Σw_all: the first step is σ·L exactly
    n = doc["normalisation"]
    assert sl[0]["yield"] == pytest.approx(n["xsec_pb"] * 1000 * n["luminosity_fb"])
    prov = doc["provenance"]
    assert prov["inputs"][0]["events_read"] == n["n_events"]
    assert prov["inputs"][0]["size_bytes"] > 0 and len(prov["analysis_sha256"]) == 64


def _rewrite(src: Path, dst: Path, writer: type) -> None:
    with pyhepmc.open(str(src)) as f, writer(str(dst)) as w:
        for evt in f:
            w.write(evt)


@pytest.fixture(scope="module")
def formats(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("formats")
    plain3 = d / "events.hepmc3"
    with gzip.open(example_sample, "rb") as f, open(plain3, "wb") as g:
        shutil.copyfileobj(f, g)
    hepmc2 = d / "events.hepmc2"
    _rewrite(plain3, hepmc2, pyhepmc.io.WriterAsciiHepMC2)
    misnamed = d / "events.txt"  # format comes from content, not from the name
    shutil.copy(hepmc2, misnamed)
    return {"gz": example_sample, "plain3": plain3, "hepmc2": hepmc2, "misnamed": misnamed}


@pytest.fixture(scope="module")
def truth_ref(formats: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample at truth level (one run shared by the HepMC2 cases)."""
    ref = tmp_path_factory.mktemp("truth_ref")
    p = hepreint("run", TTH, str(formats["gz"]), "-q", "--detector", "truth", "-o", str(ref))
    assert p.returncode == 0, p.stderr
    return ref


@pytest.mark.parametrize("kind", ["plain3", "hepmc2", "misnamed"])
def test_formats_give_identical_results(
    kind: str,
    formats: dict[str, Path],
    one_run: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if kind in ("hepmc2", "misnamed"):  # misnamed: the HepMC2 file under a .hepmc3 name
        # the same events in another format are another file: detector draws are keyed on the
        # file's content and each event's place in it, so only truth level must agree exactly
        ref = request.getfixturevalue("truth_ref")
        p = hepreint("run", TTH, str(formats[kind]), "-q", "--detector", "truth",
                     "-o", str(tmp_path))  # fmt: skip
        assert p.returncode == 0, p.stderr
        assert results(tmp_path)["exact"] == results(ref)["exact"]
        return
    p = hepreint("run", TTH, str(formats[kind]), "-q", "-o", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert results(tmp_path)["exact"] == results(one_run)["exact"]


def test_reference_reader_gives_identical_results(
    example_sample: Path, one_run: Path, tmp_path: Path
) -> None:
    p = hepreint("run", TTH, str(example_sample), "-q", "--reader", "pyhepmc", "-o", str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert results(tmp_path)["exact"] == results(one_run)["exact"]
    assert results(tmp_path)["provenance"]["reader"] == "pyhepmc"


def test_batching_and_executors_do_not_change_results(
    example_sample: Path, one_run: Path, tmp_path: Path
) -> None:
    for i, extra in enumerate(
        (["--batch-size", "7"], ["--executor", "processes", "--workers", "2", "--batch-size", "25"])
    ):
        out = tmp_path / str(i)
        p = hepreint("run", TTH, str(example_sample), "-q", "-o", str(out), *extra)
        assert p.returncode == 0, p.stderr
        assert results(out)["exact"] == results(one_run)["exact"]


def test_two_halves_merge_to_one_run(example_sample: Path, one_run: Path, tmp_path: Path) -> None:
    n = results(one_run)["normalisation"]["n_events"]
    half = n // 2
    a, b, m = tmp_path / "a", tmp_path / "b", tmp_path / "m"
    xs = str(results(one_run)["normalisation"]["xsec_pb"])
    assert hepreint("run", TTH, str(example_sample), "-q", "--max-events", str(half),
                    "--xsec", xs, "-o", str(a)).returncode == 0  # fmt: skip
    assert hepreint("run", TTH, str(example_sample), "-q", "--skip", str(half),
                    "--xsec", xs, "-o", str(b)).returncode == 0  # fmt: skip
    assert results(a)["normalisation"]["n_events"] == half
    assert results(b)["normalisation"]["n_events"] == n - half
    p = hepreint("merge", str(a / "results.json"), str(b / "results.json"), "-o", str(m))
    assert p.returncode == 0, p.stderr
    merged, whole = results(m), results(one_run)
    assert merged["exact"] == whole["exact"]
    assert merged["regions"]["dilepton"]["yield"] == whole["regions"]["dilepton"]["yield"]


def test_two_files_in_one_run(formats: dict[str, Path], one_run: Path, tmp_path: Path) -> None:
    p = hepreint("run", TTH, str(formats["plain3"]), str(formats["hepmc2"]), "-q", "-o",
                 str(tmp_path))  # fmt: skip
    assert p.returncode == 0, p.stderr
    doc = results(tmp_path)
    assert doc["normalisation"]["n_events"] == 2 * results(one_run)["normalisation"]["n_events"]
    assert [i["events_read"] for i in doc["provenance"]["inputs"]] == [
        results(one_run)["normalisation"]["n_events"]
    ] * 2


def test_unnormalised_without_xsec(formats: dict[str, Path], tmp_path: Path) -> None:
    text = formats["plain3"].read_text().splitlines(keepends=True)
    stripped = tmp_path / "noxsec.hepmc3"
    stripped.write_text(
        "".join(line for line in text if not line.startswith("A 0 GenCrossSection"))
    )
    p = hepreint("run", TTH, str(stripped), "-o", str(tmp_path / "o"))
    assert p.returncode == 0, p.stderr
    assert "NOT NORMALISED" in p.stdout and "not normalised" in p.stderr.lower()
    assert results(tmp_path / "o")["normalisation"]["normalised"] is False


def test_list_and_inspect() -> None:
    p = hepreint("list")
    assert p.returncode == 0 and "ttHbb" in p.stdout and "2407.10904" in p.stdout
    p = hepreint("inspect", "ttHbb")
    assert p.returncode == 0
    for word in ("objects:", "overlap removal:", "cuts:", "regions:", "ge3_b_1l", "networks:"):
        assert word in p.stdout


def test_run_with_limits(example_sample: Path, tmp_path: Path) -> None:
    p = hepreint("run", TTH, str(example_sample), "-q", "--limits", "-o", str(tmp_path))
    assert p.returncode == 0, p.stderr
    lim = json.loads((tmp_path / "limits.json").read_text())
    assert lim["label"] == "calibrated approximation"
    assert "calibrated approximation" in p.stdout


HELP_COMMANDS = ("run", "list", "inspect", "generate", "merge", "limits", "calibrate", "validate",
                 "export")  # fmt: skip


def test_every_command_has_help() -> None:
    """``python -m hepreint --help`` lists every command, and each command's help prints in a
    real interpreter through the entry point ``python -m hepreint`` calls (hepreint.cli.main);
    one process for all of them, not one each (the in-process CliRunner check is in
    test_cli_smoke.py)."""
    p = hepreint("--help")
    assert p.returncode == 0 and "Usage:" in p.stdout
    listed = {line.split()[0] for line in p.stdout.splitlines() if line.startswith("  ")}
    assert set(HELP_COMMANDS) <= listed, p.stdout
    code = ("import sys\nfrom hepreint.cli import main\nfor cmd in sys.argv[1:]:\n"
            "    print(f'=== {cmd}', flush=True)\n"
            "    print(f'=== rc={main([cmd, \"--help\"])}', flush=True)\n")  # fmt: skip
    p = subprocess.run([sys.executable, "-c", code, *HELP_COMMANDS], capture_output=True,
                       text=True, timeout=600)  # fmt: skip
    assert p.returncode == 0, p.stderr
    helps = dict(re.findall(r"=== (\S+)\n(.*?)=== rc=0\n", p.stdout, flags=re.S))
    assert list(helps) == list(HELP_COMMANDS), p.stdout[-2000:]
    for cmd, text in helps.items():
        assert text.startswith(f"Usage: hepreint {cmd} "), (cmd, text[:200])


def test_dask_executor_gives_identical_results(
    example_sample: Path, one_run: Path, tmp_path: Path
) -> None:
    pytest.importorskip("dask.distributed")
    p = hepreint("run", TTH, str(example_sample), "-q", "-o", str(tmp_path),
                 "--executor", "dask", "--workers", "2", "--batch-size", "40")  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert results(tmp_path)["exact"] == results(one_run)["exact"]
