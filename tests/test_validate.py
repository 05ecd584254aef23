"""``hepreint validate``: reference files (hepreint + HEPData), the mapping in analysis.yaml, the
comparison numbers, exit status and outputs. One real run of the example sample per module; all
else uses --results on it, so the tests stay fast."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from hepreint.analysis.schemas import validate as validate_schema
from hepreint.cli.validate import validate
from hepreint.errors import HepreintError
from hepreint.validation import ValidationError, compare, load_reference_file
from hepreint.validation.reference import References, load_references

ROOT = Path(__file__).resolve().parent.parent
TTH = ROOT / "analyses" / "ttHbb"
DATA = ROOT / "tests" / "data" / "validate"


def cli(*args: str) -> Result:
    return CliRunner().invoke(validate, list(args), catch_exceptions=True)


@pytest.fixture(scope="module")
def results_json(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    r = cli(str(TTH), str(example_sample), "-o", str(out), "-q", "--no-plot")
    assert r.exit_code == 0, (r.output, r.exception)
    return out / "results.json"


def hepdata_table(values: list[tuple[str, float, dict[str, Any]]]) -> dict[str, Any]:
    """A table as hepdata.net serves it: steps are rows, one dependent variable."""
    return {
        "independent_variables": [
            {"header": {"name": "Selection"}, "values": [{"value": s} for s, _, _ in values]}
        ],
        "dependent_variables": [
            {
                "header": {"name": "Acceptance x efficiency", "units": ""},
                "qualifiers": [{"name": "SQRT(S)", "units": "GeV", "value": 13000}],
                "values": [{"value": v, "errors": [e]} for _, v, e in values],
            }
        ],
    }


def analysis_copy(tmp: Path, table: dict[str, Any], validation: dict[str, Any]) -> Path:
    """ttHbb with a HEPData table in reference/ and a validation section mapping it."""
    ana = tmp / "ttHbb"
    shutil.copytree(TTH, ana)
    (ana / "reference" / "cutflow_1l.yaml").write_text(yaml.safe_dump(table), encoding="utf-8")
    doc = yaml.safe_load((ana / "analysis.yaml").read_text(encoding="utf-8"))
    doc["validation"] = validation
    (ana / "analysis.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return ana


MAPPING = {
    "file": "reference/cutflow_1l.yaml",
    "region": "single_lepton",
    "quantity": "efficiency",
    "source": "test table written by tests/test_validate.py",
    "trust": "A",
    "steps": {"1 lepton": "one_lepton", ">= 5 jets": "ge5_jets", ">= 3 b": "ge3_b_1l"},
}


def ours(results_json: Path, step: str) -> tuple[float, float]:
    steps = json.loads(results_json.read_text())["regions"]["single_lepton"]["cutflow"]
    s = next(s for s in steps if s["step"] == step)
    return s["efficiency"], s["efficiency_stat"]


def test_ttHbb_nothing_to_compare(results_json: Path, tmp_path: Path) -> None:
    r = cli(str(TTH), "--results", str(results_json), "-o", str(tmp_path))
    assert r.exit_code == 0, (r.output, r.exception)
    assert "no published cut-flow for this analysis: published.yaml" in r.output
    doc = json.loads((tmp_path / "validation.json").read_text())
    assert doc["status"] == "nothing to compare"
    assert doc["summary"]["compared"] == 0 and doc["summary"]["no_reference"] > 0
    assert all(row["status"] == "no reference" for row in doc["rows"])
    assert (tmp_path / "validation.txt").read_text().startswith("hepreint validate: ttHbb")


def test_hepdata_table_compared_by_hand(results_json: Path, tmp_path: Path) -> None:
    e1, s1 = ours(results_json, "one_lepton")
    e2, s2 = ours(results_json, "ge5_jets")
    e3, s3 = ours(results_json, "ge3_b_1l")
    # published: ours x 1.10 (sym. error), ours x 0.95 (asym.), ours x 1.05 (10 %)
    p1, p2, p3 = 1.10 * e1, 0.95 * e2, 1.05 * e3
    table = hepdata_table([
        ("1 lepton", p1, {"symerror": 0.01, "label": "stat"}),
        (">= 5 jets", p2, {"asymerror": {"plus": 0.02, "minus": -0.005}}),
        (">= 3 b", p3, {"symerror": "10%"}),
        ("not mapped", 0.5, {"symerror": 0.1}),
    ])  # fmt: skip
    ana = analysis_copy(tmp_path, table, {"relative_tolerance": 0.2, "tables": [MAPPING]})
    r = cli(str(ana), "--results", str(results_json), "-o", str(tmp_path / "out"), "--no-plot")
    assert r.exit_code == 0, (r.output, r.exception)
    rows = {
        row["step"]: row
        for row in json.loads((tmp_path / "out" / "validation.json").read_text())["rows"]
        if row["region"] == "single_lepton"
    }
    assert rows["all events"]["status"] == "no reference"
    one, five, three_b = rows["one_lepton"], rows["ge5_jets"], rows["ge3_b_1l"]
    assert one["ratio"] == pytest.approx(1 / 1.10)
    assert one["pull"] == pytest.approx((e1 - p1) / math.hypot(s1, 0.01))
    # ours above the published value: its upward error counts
    assert five["ratio"] == pytest.approx(1 / 0.95)
    assert five["pull"] == pytest.approx((e2 - p2) / math.hypot(s2, 0.02))
    assert five["published_up"] == 0.02 and five["published_down"] == 0.005
    assert three_b["published_up"] == pytest.approx(0.1 * p3)
    assert three_b["pull"] == pytest.approx((e3 - p3) / math.hypot(s3, 0.1 * p3))
    assert {one["status"], five["status"], three_b["status"]} == {"pass"}
    assert one["label"] == "1 lepton" and one["trust"] == "A"


@pytest.mark.parametrize(("tolerance", "code"), [(0.2, 0), (0.08, 1)])
def test_tolerance_drives_exit_status(
    results_json: Path, tmp_path: Path, tolerance: float, code: int
) -> None:
    e1, _ = ours(results_json, "one_lepton")
    table = hepdata_table([("1 lepton", 1.10 * e1, {"symerror": 0.001})])
    mapping = {**MAPPING, "steps": {"1 lepton": "one_lepton"}}
    ana = analysis_copy(tmp_path, table, {"relative_tolerance": tolerance, "tables": [mapping]})
    r = cli(str(ana), "--results", str(results_json), "-o", str(tmp_path / "o"), "--no-plot")
    assert r.exit_code == code, (r.output, r.exception)
    status = json.loads((tmp_path / "o" / "validation.json").read_text())["status"]
    assert status == ("pass" if code == 0 else "fail")


def test_steps_as_columns_with_row_and_percent(results_json: Path, tmp_path: Path) -> None:
    """HEPData cut-flows vs a signal parameter: one column per step, a row per mass point."""
    e1, _ = ours(results_json, "one_lepton")
    table = {
        "independent_variables": [
            {"header": {"name": "m_X", "units": "GeV"}, "values": [{"value": 300}, {"value": 500}]}
        ],
        "dependent_variables": [
            {
                "header": {"name": "one lepton", "units": "%"},
                "values": [{"value": 1.0}, {"value": 100 * e1}],
            }
        ],
    }
    mapping = {**MAPPING, "row": 500, "steps": {"one lepton": "one_lepton"}}
    ana = analysis_copy(tmp_path, table, {"relative_tolerance": 0.01, "tables": [mapping]})
    r = cli(str(ana), "--results", str(results_json), "-o", str(tmp_path / "o"), "--no-plot")
    assert r.exit_code == 0, (r.output, r.exception)
    row = next(
        x for x in json.loads((tmp_path / "o" / "validation.json").read_text())["rows"]
        if x["step"] == "one_lepton" and x["region"] == "single_lepton"
    )  # fmt: skip
    assert row["ratio"] == pytest.approx(1.0)


def one_line_error(r: Result) -> str:
    assert isinstance(r.exception, HepreintError), (r.output, r.exception)
    msg = str(r.exception)
    assert "\n" not in msg
    return msg


def test_malformed_reference_file(results_json: Path, tmp_path: Path) -> None:
    ana = tmp_path / "ttHbb"
    shutil.copytree(TTH, ana)
    bad = ana / "reference" / "bad.yaml"
    bad.write_text(
        "schema: hepreint-reference/1\nnumbers:\n  - id: x\n    value: 1\n    unit: fb\n"
        "    what: a number\n    source: nowhere\n    trust: D\n",
        encoding="utf-8",
    )
    msg = one_line_error(cli(str(ana), "--results", str(results_json), "-o", str(tmp_path / "o")))
    assert f"{bad}:8: at numbers[0].trust" in msg


def test_malformed_hepdata_table(tmp_path: Path) -> None:
    table = hepdata_table([("1 lepton", 0.2, {"symerror": 0.01})])
    del table["dependent_variables"][0]["values"][0]["value"]
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(table), encoding="utf-8")
    with pytest.raises(ValidationError) as exc:
        load_reference_file(path)
    assert str(exc.value).startswith(f"{path}:")
    assert "dependent_variables[0].values[0]" in str(exc.value)
    assert "\n" not in str(exc.value)


def test_mapping_error_names_analysis_yaml_line(results_json: Path, tmp_path: Path) -> None:
    table = hepdata_table([("1 lepton", 0.2, {"symerror": 0.01})])
    mapping = {**MAPPING, "steps": {"1 lepton": "one_lepon"}}
    ana = analysis_copy(tmp_path, table, {"relative_tolerance": 0.2, "tables": [mapping]})
    msg = one_line_error(cli(str(ana), "--results", str(results_json), "-o", str(tmp_path / "o")))
    assert str(ana / "analysis.yaml") in msg
    assert "validation.tables[0].steps.1 lepton" in msg and "did you mean 'one_lepton'" in msg


def test_hepdata_mapping_needs_source_and_trust(results_json: Path, tmp_path: Path) -> None:
    table = hepdata_table([("1 lepton", 0.2, {"symerror": 0.01})])
    mapping = {k: v for k, v in MAPPING.items() if k != "trust"}
    ana = analysis_copy(tmp_path, table, {"relative_tolerance": 0.2, "tables": [mapping]})
    r = cli(str(ana), "--results", str(results_json), "-o", str(tmp_path / "o"))
    assert isinstance(r.exception, HepreintError) and "trust" in str(r.exception)


def test_usage_errors(results_json: Path, example_sample: Path) -> None:
    assert cli(str(TTH)).exit_code == 2
    assert cli(str(TTH), str(example_sample), "--results", str(results_json)).exit_code == 2


def test_png_written(results_json: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    pytest.importorskip("mplhep")
    e1, _ = ours(results_json, "one_lepton")
    table = hepdata_table([("1 lepton", 1.3 * e1, {"symerror": 0.01})])
    mapping = {**MAPPING, "steps": {"1 lepton": "one_lepton"}}
    ana = analysis_copy(tmp_path, table, {"relative_tolerance": 0.2, "tables": [mapping]})
    r = cli(str(ana), "--results", str(results_json), "-o", str(tmp_path / "o"))
    assert r.exit_code == 1, (r.output, r.exception)
    png = (tmp_path / "o" / "validation.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_reference_schema_accepts_shared_format() -> None:
    for path in [DATA / "HH4b.yaml", TTH / "reference" / "published.yaml"]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert validate_schema(data, "reference") == [], path
    data = yaml.safe_load((DATA / "HH4b.yaml").read_text(encoding="utf-8"))
    data["tables"][0]["entries"][0]["value"] = "0.049"
    assert any("tables[0].entries[0].value" in p for p in validate_schema(data, "reference"))


def test_reference_table_mapping_and_relative_efficiency(tmp_path: Path) -> None:
    """A hepreint-reference table (HH4b 36 fb^-1 cut-flow) mapped onto synthetic results."""
    (tmp_path / "reference").mkdir()
    shutil.copy(DATA / "HH4b.yaml", tmp_path / "reference" / "published.yaml")
    names = ["all events", "four_b", "dR_pairing", "deta_hh", "x_hh"]
    sumw = [1000.0, 50.0, 44.0, 37.0, 20.0]
    steps = [
        {"step": n, "sumw": w, "sumw2": w, "yield": w, "yield_stat": math.sqrt(w),
         "efficiency": w / 1000, "efficiency_stat": math.sqrt(w / 1000 * (1 - w / 1000) / 1000)}
        for n, w in zip(names, sumw, strict=True)
    ]  # fmt: skip
    results = {
        "analysis": {"name": "HH4b"},
        "normalisation": {"normalised": False},
        "regions": {"resolved": {"bin": None, "cutflow": steps}},
    }
    validation = {
        "relative_tolerance": 0.1,
        "tables": [{"file": "reference/published.yaml", "table": "pred36.sm_ggF_cutflow",
                    "region": "resolved",
                    "steps": {"4b": "four_b", "dR": "dR_pairing", "eta": "deta_hh",
                              "Xhh": "x_hh"}}],
    }  # fmt: skip
    refs = load_references(tmp_path, validation, {"resolved": names}, lambda k: f"a.yaml: {k}")
    assert isinstance(refs, References) and len(refs.entries) == 4
    c = compare(results, refs, 0.1)
    got = {r.step: r for r in c.rows}
    assert got["four_b"].ratio == pytest.approx(0.050 / 0.049)
    assert got["x_hh"].ratio == pytest.approx(0.020 / 0.019)
    assert got["deta_hh"].status == "pass" and got["all events"].status == "no reference"
    assert got["four_b"].trust == "B" and got["four_b"].quantity == "efficiency"
    assert c.exit_code == 0


def test_hepdata_errors_combined_and_signed(tmp_path: Path) -> None:
    table = hepdata_table([("a", 2.0, {"asymerror": {"plus": -0.3, "minus": 0.4}})])
    table["dependent_variables"][0]["values"][0]["errors"].append({"symerror": "5%"})
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(table), encoding="utf-8")
    cell = load_reference_file(path).hepdata.dependent[0].values[0]  # type: ignore[union-attr]
    assert cell.up == pytest.approx(math.hypot(0.4, 0.1))
    assert cell.down == pytest.approx(math.hypot(0.3, 0.1))
