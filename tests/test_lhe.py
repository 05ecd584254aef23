"""LHE input: showered with Pythia 8 (the [generate] extra) and run, reproducibly, with what
Pythia did recorded; damaged files are one-line errors naming file and line; without Pythia
the message says what to install. The LHE file is written by tests/lhe_events.py and read by
``pylhe`` too, so that the tests do not rest on hepreint's own reading of it."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pylhe
import pytest
from lhe_events import XSEC_PB, ttbar_lhe_text, write_ttbar_lhe

import hepreint
from hepreint.errors import HepreintError, InputError
from hepreint.generate.lhe import shower_lhe
from hepreint.io import read_events
from hepreint.io.lhe import check_lhe, is_lhe

ROOT = Path(__file__).resolve().parent.parent
N = 30

pytest.importorskip("pythia8mc")


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hepreint", *args], capture_output=True,
                          text=True, cwd=cwd)  # fmt: skip


@pytest.fixture(scope="module")
def lhe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ttbar_lhe(tmp_path_factory.mktemp("lhe") / "ttbar.lhe", N)


def test_the_test_file_is_lhe_for_pylhe(lhe: Path) -> None:
    f = pylhe.LHEFile.fromfile(str(lhe))
    events = list(f.events)
    assert len(events) == N == check_lhe(lhe).n_events
    proc = f.init.procInfo[0]
    assert check_lhe(lhe).xsec_pb == (proc.xSection, proc.error) == (XSEC_PB, XSEC_PB * 0.01)
    assert is_lhe(lhe) and not is_lhe(ROOT / "examples" / "ttH_pruned.hepmc3.gz")


def test_run_showers_an_lhe_file_and_records_it(lhe: Path, tmp_path: Path) -> None:
    p = cli("run", str(ROOT / "analyses" / "ttHbb"), str(lhe), "-o", "out", "-q", "--seed", "7",
            cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    assert doc["normalisation"]["n_events"] == N
    assert doc["normalisation"]["xsec_pb"] == pytest.approx(XSEC_PB)  # Pythia's, from the LHE
    (shower,) = doc["provenance"]["showered_lhe"]
    assert shower["lhe"] == str(lhe) and shower["seed"] == 7 and shower["pythia_seed"] == 7
    assert "Random:seed = 7" in shower["settings"] and "Beams:frameType = 4" in shower["settings"]
    assert shower["lhe_xsec_pb"] == XSEC_PB and shower["pythia_version"].startswith("8.")
    # the LHE weights reach the results as variations (names as Pythia gives them)
    assert len(doc["weight_names"]) == 3 and doc["weight_names"][0] == "Weight"


def test_same_seed_same_events(lhe: Path, tmp_path: Path) -> None:
    a = shower_lhe(lhe, tmp_path / "a.hepmc3", 11, max_events=5)
    b = shower_lhe(lhe, tmp_path / "b.hepmc3", 11, max_events=5)
    c = shower_lhe(lhe, tmp_path / "c.hepmc3", 12, max_events=5)
    assert a.n_events == b.n_events == c.n_events == 5
    text = [(tmp_path / f"{x}.hepmc3").read_bytes() for x in "abc"]
    assert text[0] == text[1] and text[0] != text[2]


def test_compressed_lhe_through_generate(lhe: Path, tmp_path: Path) -> None:
    gz = tmp_path / "ttbar.lhe.gz"
    gz.write_bytes(gzip.compress(lhe.read_bytes()))
    p = cli("generate", "--lhe", str(gz), "-o", "s.hepmc3", "--events", "4", "--seed", "3",
            cwd=tmp_path)  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert "4 events" in p.stdout and "seed 3" in p.stdout
    assert sum(len(b) for b in read_events([tmp_path / "s.hepmc3"])) == 4


def test_without_pythia_the_message_says_what_to_install(
    lhe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pythia8mc", None)  # import pythia8mc -> ImportError
    with pytest.raises(HepreintError) as exc:
        hepreint.run(ROOT / "analyses" / "ttHbb", [lhe])
    msg = str(exc.value)
    assert "\n" not in msg and str(lhe) in msg and 'pip install "hepreint[generate]"' in msg


def _damaged(text: str, kind: str) -> str:
    lines = text.splitlines()
    first = next(i for i, ln in enumerate(lines) if ln == "<event>")
    if kind == "short-particle":
        lines[first + 3] = " ".join(lines[first + 3].split()[:12])
    elif kind == "not-a-number":
        lines[first + 2] = lines[first + 2].replace("+", "x", 1)
    elif kind == "missing-particle":
        del lines[first + 5]
    elif kind == "cut":
        return "\n".join(lines[: first + 3]) + "\n"
    elif kind == "no-end":
        del lines[next(i for i, ln in enumerate(lines) if ln == "</event>")]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("kind", "line_from_event", "words"),
    [
        ("short-particle", 3, "12 numbers where the LHE format has 13"),
        ("not-a-number", 2, "PX is 'x0"),
        ("missing-particle", 5, "has 3 particle line(s) but its first line says NUP = 4"),
        ("cut", 0, "ends inside event 1"),
        ("no-end", 0, "has no </event>"),
    ],
)
def test_a_damaged_lhe_file_is_a_one_line_error_with_its_line(
    tmp_path: Path, kind: str, line_from_event: int | None, words: str
) -> None:
    good = ttbar_lhe_text(3)
    bad = tmp_path / f"{kind}.lhe"
    bad.write_text(_damaged(good, kind))
    event_at = good.splitlines().index("<event>") + 1  # 1-based line of the first <event>
    with pytest.raises(InputError) as exc:
        hepreint.run(ROOT / "analyses" / "ttHbb", [bad])
    msg = str(exc.value)
    assert "\n" not in msg and words in msg, msg
    if line_from_event is not None:
        assert msg.startswith(f"{bad}:{event_at + line_from_event}:"), msg
    else:
        assert msg.startswith(f"{bad}:"), msg
