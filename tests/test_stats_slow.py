"""End-to-end statistics on the shipped ttHbb analysis and example file (slow: runs events)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hepreint.cli.stats import limits
from hepreint.stats import CALIBRATED_LABEL

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/ttH_pruned.hepmc3.gz"


@pytest.mark.slow
@pytest.mark.skipif(not EXAMPLE.exists(), reason="example sample not shipped")
def test_tthbb_limits_end_to_end(tmp_path: Path) -> None:
    from hepreint.cli import main

    # truth level: the example leaves too few detector-level events (likelihood/README)
    main(["run", str(ROOT / "analyses/ttHbb"), str(EXAMPLE), "-o", str(tmp_path), "-q",
          "--detector", "truth"])  # fmt: skip
    t0 = time.perf_counter()
    r = CliRunner().invoke(limits, [str(tmp_path / "results.json"), "-q"])
    elapsed = time.perf_counter() - t0
    assert r.exit_code == 0, r.output
    doc = json.loads((tmp_path / "limits.json").read_text())
    assert doc["label"] == CALIBRATED_LABEL and doc["likelihood_kind"] == "calibrated"
    assert doc["likelihood"]["calibration"]["target"]["id"] == "significance_exp"
    assert 0.1 < doc["mu_limit_obs"] < 2.0
    assert doc["best_expected_region"] == "SR_1l_all"
    assert any("raw MC event" in w for w in doc["warnings"])  # SR_2l_all: 3 raw events
    assert elapsed < 10.0
