"""The HEPData export as hepdata.net sees it: ``hepdata-validator`` (the validator HEPData runs on
every upload) must accept the submission and every table, and the numbers must be unrounded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from consumer_docs import real_doc, synthetic_doc

from hepreint.export import export

fsv = pytest.importorskip("hepdata_validator.full_submission_validator")
dfv = pytest.importorskip("hepdata_validator.data_file_validator")


@pytest.fixture(scope="module")
def docs(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("hd")
    out = {
        "real": real_doc(example_sample, tmp / "real"),
        "synth": synthetic_doc(tmp / "synth"),
        "unnorm": synthetic_doc(tmp / "unnorm", normalised=False),
    }
    partial = json.loads(json.dumps(out["real"]))
    partial.update(status="partial", errors=["input truncated after 60 events"])
    out["partial"] = partial
    return out


def _errors(messages: dict[str, list[Any]]) -> list[str]:
    return [f"{f}: {m.message}" for f, ms in messages.items() for m in ms if m.level == "error"]


@pytest.mark.parametrize("which", ["real", "synth", "unnorm", "partial"])
def test_hepdata_validator_accepts_the_submission(
    docs: dict[str, Any], tmp_path: Path, which: str
) -> None:
    paths = export(docs[which], "hepdata", tmp_path)
    v = fsv.FullSubmissionValidator()
    ok = v.validate(directory=str(tmp_path))
    assert ok and not _errors(v.get_messages()), _errors(v.get_messages())
    # and table by table, with the data-file validator alone (what hepdata_lib runs per table)
    tables = [p for p in paths if p.name != "submission.yaml"]
    assert len(tables) == len(docs[which]["regions"]) + 1
    for p in tables:
        d = dfv.DataFileValidator()
        assert d.validate(file_path=str(p)), [m.message for m in d.get_messages(str(p))]


def test_validator_would_refuse_all_zero_errors(docs: dict[str, Any], tmp_path: Path) -> None:
    """The check above can fail: the old export's ``symerror: 0.0`` rows are refused."""
    export(docs["real"], "hepdata", tmp_path)
    p = tmp_path / "cutflow_single_lepton.yaml"
    data = yaml.safe_load(p.read_text())
    data["dependent_variables"][0]["values"][0]["errors"] = [{"symerror": 0.0, "label": "stat"}]
    p.write_text(yaml.safe_dump(data))
    d = dfv.DataFileValidator()
    assert not d.validate(file_path=str(p))
    assert any("zero" in m.message for m in d.get_messages(str(p)))


@pytest.mark.parametrize("which", ["real", "synth"])
def test_errors_only_where_there_are_some_and_numbers_unrounded(
    docs: dict[str, Any], tmp_path: Path, which: str
) -> None:
    doc = docs[which]
    export(doc, "hepdata", tmp_path)
    for name, reg in doc["regions"].items():
        table = yaml.safe_load((tmp_path / f"cutflow_{name.lower()}.yaml").read_text())
        yields, eff = table["dependent_variables"][:2]
        for cell, step in zip(yields["values"], reg["cutflow"], strict=True):
            assert cell["value"] == step["yield"]  # exact double, not hepdata_lib's 5 digits
            if step["yield_stat"]:
                assert cell["errors"] == [{"symerror": step["yield_stat"], "label": "stat"}]
            else:
                assert "errors" not in cell
        assert "errors" not in eff["values"][0]  # "all events": efficiency 1 exactly, no error
        assert [c["value"] for c in eff["values"]] == [s["efficiency"] for s in reg["cutflow"]]
    empty = [r for r in doc["regions"].values() if r["raw"] == 0]
    if which == "real":
        assert empty, "the example run should have an empty region (no error to write)"
