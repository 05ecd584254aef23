"""Fast-lane companions of test_cli_run.py (marked slow: it starts many full `python -m hepreint`
runs): one subprocess run on 20 events, and the help/list/inspect checks in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from hepreint.analysis.schemas import load_schema
from hepreint.cli import cli

ROOT = Path(__file__).resolve().parent.parent
TTH = str(ROOT / "analyses" / "ttHbb")
N = 20


def test_small_run_prints_both_channels_and_writes_valid_json(
    example_sample: Path, tmp_path: Path
) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "hepreint", "run", TTH, str(example_sample),
         "--max-events", str(N), "-o", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert "[single_lepton]" in p.stdout and "[dilepton]" in p.stdout
    assert "FastJet" not in p.stdout  # the licence banner must not pollute the table
    doc = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(doc, load_schema("results"))
    assert doc["status"] == "complete"
    assert (
        doc["normalisation"]["normalised"] and doc["normalisation"]["xsec_source"] == "input file"
    )
    sl = doc["regions"]["single_lepton"]["cutflow"]
    raws = [s["raw"] for s in sl]
    assert raws[0] == doc["normalisation"]["n_events"] == N
    assert raws == sorted(raws, reverse=True)
    n = doc["normalisation"]
    assert sl[0]["yield"] == pytest.approx(n["xsec_pb"] * 1000 * n["luminosity_fb"])
    prov = doc["provenance"]
    assert prov["inputs"][0]["events_read"] == n["n_events"]
    assert prov["inputs"][0]["size_bytes"] > 0 and len(prov["analysis_sha256"]) == 64


def test_every_command_has_help_in_process() -> None:
    for cmd in ("run", "list", "inspect", "generate", "merge", "limits", "calibrate", "validate",
                "export"):  # fmt: skip
        r = CliRunner().invoke(cli, [cmd, "--help"])
        assert r.exit_code == 0 and "Usage:" in r.output, cmd


def test_list_and_inspect_in_process() -> None:
    r = CliRunner().invoke(cli, ["list"])
    assert r.exit_code == 0 and "ttHbb" in r.output and "2407.10904" in r.output
    r = CliRunner().invoke(cli, ["inspect", "ttHbb"])
    assert r.exit_code == 0
    for word in ("objects:", "overlap removal:", "cuts:", "regions:", "ge3_b_1l", "networks:"):
        assert word in r.output
