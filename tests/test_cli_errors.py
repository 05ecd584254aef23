"""Bad input through the CLI: one line naming the file, the place and the fix; exit 2; no
traceback; results of the events before a broken one are written, marked partial."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TTH = str(ROOT / "analyses" / "ttHbb")


def hepreint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hepreint", *args], capture_output=True,
                          text=True, timeout=600)  # fmt: skip


def assert_clean_error(p: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    err_lines = [ln for ln in p.stderr.splitlines() if ln.startswith("hepreint: error:")]
    assert len(err_lines) >= 1
    for n in needles:
        assert n in p.stderr, (n, p.stderr)
    return p.stderr


@pytest.fixture(scope="module")
def plain(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("plain")
    out = d / "events.hepmc3"
    out.write_bytes(gzip.decompress(example_sample.read_bytes()))
    return out


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.hepmc"
    assert_clean_error(hepreint("run", TTH, str(missing)), str(missing))


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.hepmc"
    empty.write_bytes(b"")
    assert_clean_error(hepreint("run", TTH, str(empty)), str(empty), "empty")


def test_garbage_file(tmp_path: Path) -> None:
    bad = tmp_path / "garbage.hepmc"
    bad.write_bytes(b"\x00\x01 this is not HepMC at all\n" * 50)
    assert_clean_error(hepreint("run", TTH, str(bad)), str(bad))


@pytest.mark.slow
def test_truncated_file_keeps_partial_results(plain: Path, tmp_path: Path) -> None:
    data = plain.read_bytes()
    cut = tmp_path / "cut.hepmc3"
    # cut in the middle of the last third of the file: mid-event, as an interrupted copy does
    cut.write_bytes(data[: int(len(data) * 0.7)])
    out = tmp_path / "out"
    err = assert_clean_error(hepreint("run", TTH, str(cut), "-o", str(out)), str(cut))
    assert "truncated" in err.lower() or "event" in err.lower()
    doc = json.loads((out / "results.json").read_text())
    assert doc["status"] == "partial" and doc["errors"]
    assert doc["normalisation"]["n_events"] > 0


@pytest.mark.slow
def test_nan_momentum(plain: Path, tmp_path: Path) -> None:
    lines = plain.read_text().splitlines(keepends=True)
    # poison the px of the first particle line of the third event
    n_e = 0
    for i, ln in enumerate(lines):
        if ln.startswith("E "):
            n_e += 1
        if n_e == 3 and ln.startswith("P "):
            f = ln.split()
            f[4] = "nan"
            lines[i] = " ".join(f) + "\n"
            break
    bad = tmp_path / "nan.hepmc3"
    bad.write_text("".join(lines))
    out = tmp_path / "out"
    err = assert_clean_error(hepreint("run", TTH, str(bad), "-o", str(out)), str(bad))
    assert "nan" in err.lower() or "finite" in err.lower()
    # and --skip-bad-events reads on, reporting the skipped event
    p = hepreint("run", TTH, str(bad), "-q", "--skip-bad-events", "-o", str(tmp_path / "o2"))
    assert p.returncode == 0, p.stderr
    doc = json.loads((tmp_path / "o2" / "results.json").read_text())
    assert doc["provenance"]["inputs"][0]["bad_events_skipped"] == 1
    assert any("skipped bad event" in w for w in doc["warnings"])


def test_wrong_analysis_yaml(tmp_path: Path, example_sample: Path) -> None:
    d = tmp_path / "ana"
    d.mkdir()
    text = (ROOT / "analyses" / "ttHbb" / "analysis.yaml").read_text()
    (d / "analysis.yaml").write_text(text.replace('"count(bjets)"', "\"__import__('os')\""))
    shutil.copytree(ROOT / "analyses" / "ttHbb" / "networks", d / "networks")
    err = assert_clean_error(hepreint("run", str(d), str(example_sample)), "analysis.yaml:",
                             "variables.n_b", "__import__")  # fmt: skip
    assert "did you mean" not in err or "__import__" in err


def test_unknown_analysis(example_sample: Path) -> None:
    assert_clean_error(hepreint("run", "ttHbbb", str(example_sample)), "hepreint list")


@pytest.mark.slow
def test_bad_param(example_sample: Path) -> None:
    p = hepreint("run", TTH, str(example_sample), "--param", "mX=abc")
    assert p.returncode == 2 and "NAME=NUMBER" in p.stderr
    assert_clean_error(hepreint("run", TTH, str(example_sample), "--param", "mX=5"),
                       "unknown parameter")  # fmt: skip
