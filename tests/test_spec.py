"""Loading analysis.yaml: every spec compiles; every mistake is reported with its place."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from hepreint.analysis.spec import load_analysis
from hepreint.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
SPECS = [ROOT / "analyses" / "ttHbb"] + sorted((ROOT / "tests" / "specs").iterdir())


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_specs_compile(path: Path) -> None:
    a = load_analysis(path)
    assert a.regions and a.cuts
    for r in a.regions:
        assert r.steps[0].label == "all events"


def test_tthbb_regions() -> None:
    a = load_analysis(ROOT / "analyses" / "ttHbb")
    lay = a.layout
    assert lay["single_lepton"] == ("all events", "one_lepton", "ge5_jets", "ge3_b_1l")
    assert lay["dilepton"][-1] == "ge3_b_2l"
    # binned child regions inherit the parent's cut-flow and add the bin step
    assert lay["SR_1l_bin5"][-1] == "408 <= pth_reco < inf"
    assert lay["SR_1l_bin0"][:-1] == lay["single_lepton"] + ("is_ttH",)
    assert lay["CR_2l_ttlight"] == lay["dilepton"] + ("is_ttlight",)
    assert lay["stxs_truth_bin0"] == ("all events", "has_higgs", "0 <= truth_pth < 60")
    assert set(a.networks) == {"ttH_class", "pTH_reco"}


def _write(tmp_path: Path, mutate: object) -> Path:
    src = ROOT / "analyses" / "ttHbb" / "analysis.yaml"
    text = src.read_text()
    assert callable(mutate)
    text = mutate(text)
    d = tmp_path / "bad"
    d.mkdir()
    (d / "analysis.yaml").write_text(text)
    shutil.copytree(src.parent / "networks", d / "networks")  # the cards it names
    return d


def _err(path: Path) -> str:
    with pytest.raises(SpecError) as e:
        load_analysis(path)
    return str(e.value)


def _line_of(path: Path, needle: str) -> int:
    for i, line in enumerate((path / "analysis.yaml").read_text().splitlines(), 1):
        if needle in line:
            return i
    raise AssertionError(needle)


def test_unknown_key_with_line_and_suggestion(tmp_path: Path) -> None:
    d = _write(tmp_path, lambda t: t.replace("    pt_min: 25\n", "    pt_mn: 25\n"))
    msg = _err(d)
    assert f"analysis.yaml:{_line_of(d, 'pt_mn')}: at objects.jets.pt_mn" in msg
    assert "did you mean 'pt_min'" in msg


def test_all_errors_at_once(tmp_path: Path) -> None:
    def mutate(t: str) -> str:
        t = t.replace('"count(bjets)"', '"count(bjest)"')
        t = t.replace("cuts: [one_lepton, ge5_jets", "cuts: [one_lepon, ge5_jets")
        old = '"single_lepton and n_lep == 2 and lep1_pt > 27"'
        return t.replace(old, '"n_lep == 2 and lep1.__class__"')

    d = _write(tmp_path, mutate)
    msg = _err(d)
    assert "3 problem(s)" in msg
    assert f":{_line_of(d, 'count(bjest)')}: at variables.n_b: unknown name 'bjest'" in msg
    assert "did you mean 'bjets'" in msg
    assert "at regions.single_lepton.cuts[0]: unknown cut 'one_lepon'" in msg
    assert "attribute '__class__' is not allowed" in msg


def test_wrong_type_and_missing_field(tmp_path: Path) -> None:
    def mutate(t: str) -> str:
        t = t.replace("luminosity_fb: 140\n", "luminosity_fb: lots\n")
        return t.replace("  experiment: ATLAS\n", "")

    msg = _err(_write(tmp_path, mutate))
    assert "at metadata.luminosity_fb: 'lots' is not of type 'number'" in msg
    assert "'experiment' is a required property" in msg


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    d = _write(tmp_path, lambda t: t.replace("  muons:\n", "  muons:\n   - [\n", 1))
    msg = _err(d)
    assert "invalid YAML" in msg and "analysis.yaml:" in msg


def test_yaml_is_safe(tmp_path: Path) -> None:
    d = _write(tmp_path, lambda t: t + "\nevil: !!python/object/apply:os.system ['true']\n")
    assert "invalid YAML" in _err(d)


def test_region_cycle_and_unknown_parent(tmp_path: Path) -> None:
    def mutate(t: str) -> str:
        data = yaml.safe_load(t)
        data["regions"]["a"] = {"parent": "b"}
        data["regions"]["b"] = {"parent": "a"}
        data["regions"]["c"] = {"parent": "single_lepon"}
        return yaml.safe_dump(data)

    msg = _err(_write(tmp_path, mutate))
    assert "cycle" in msg and "unknown region 'single_lepon'" in msg


def test_parameters_override_and_unknown() -> None:
    a = load_analysis(ROOT / "tests" / "specs" / "XSH_bbyy")
    assert a.with_parameters({"mX": 750}).parameters["mX"] == 750
    with pytest.raises(SpecError, match="unknown parameter"):
        a.with_parameters({"mZ": 1})


def test_digest_changes_with_content(tmp_path: Path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(ROOT / "analyses" / "ttHbb", d)
    before = load_analysis(d).digest()
    (d / "README.md").write_text("changed")
    assert load_analysis(d).digest() != before


def test_missing_analysis() -> None:
    with pytest.raises(SpecError, match="hepreint list"):
        load_analysis("no_such_analysis_here")
