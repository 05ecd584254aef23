"""``hepreint validate`` reports a calibrated likelihood's cross-checks next to the cut-flow
comparison: the published numbers its sidecar re-predicts, labelled, without a verdict."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hepreint import load_analysis
from hepreint.analysis.schemas import validate as validate_schema
from hepreint.cli.validate import validate
from hepreint.validation.likelihood_checks import format_crosschecks, likelihood_crosschecks

ROOT = Path(__file__).resolve().parent.parent


def _sidecar(name: str) -> dict:
    return json.loads((ROOT / "analyses" / name / "likelihood" / "workspace.meta.json").read_text())


@pytest.mark.parametrize("name", ["ttHbb", "HH4b", "XSH_bbyy"])
def test_rows_follow_the_sidecar(name: str) -> None:
    block = likelihood_crosschecks(load_analysis(ROOT / "analyses" / name))
    assert block is not None and block["label"] == "calibrated approximation"
    cal = _sidecar(name)["calibration"]
    ids = {str(c["id"]) for c in cal["crosschecks"]}
    assert {r["id"] for r in block["rows"]} == ids
    assert block["target"]["id"] == cal["target"]["id"]
    for r in block["rows"]:
        assert isinstance(r["published"], float | int) and isinstance(r["predicted"], float | int)
        assert r["ratio"] == pytest.approx(r["predicted"] / r["published"])
    text = "\n".join(format_crosschecks(block))
    assert "NOT of the selection" in text and "reproduced by construction" in text


def test_no_block_without_calibrated_likelihood() -> None:
    assert likelihood_crosschecks(load_analysis(ROOT / "analyses" / "HH4b_2018")) is None


def test_validate_writes_them_and_keeps_its_verdict(
    example_sample: Path, tmp_path: Path
) -> None:
    out = tmp_path / "v"
    r = CliRunner().invoke(validate, [str(ROOT / "analyses" / "ttHbb"), str(example_sample),
                                      "-o", str(out), "-q", "--no-plot"])  # fmt: skip
    assert r.exit_code == 0, (r.output, r.exception)
    doc = json.loads((out / "validation.json").read_text())
    assert not validate_schema(doc, "validation")
    block = doc["likelihood_crosschecks"]
    assert block["rows"] and all(row["quantity"] for row in block["rows"])
    published = {c["id"]: c for c in _sidecar("ttHbb")["calibration"]["crosschecks"]}
    first = block["rows"][0]
    assert first["published"] == published[first["id"]].get(
        "published", (published[first["id"]].get("published_uncertainty") or {}).get("plus")
    )
    # the cross-checks never change the cut-flow verdict
    assert doc["status"] in ("pass", "fail", "nothing to compare")
    assert doc["summary"]["compared"] == sum(row["status"] != "no reference" for row in doc["rows"])
    table = (out / "validation.txt").read_text()
    assert "likelihood cross-checks (calibrated approximation" in table
