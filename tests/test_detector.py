"""Detector cards as data (validation, extension, one-line errors with the YAML path) and the
detector stage in runs: reproducible per event, truth and smeared side by side."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from hepreint import RunOptions, run, run_many
from hepreint.cli import cli as main
from hepreint.detector import list_cards, load_card
from hepreint.errors import SpecError

ROOT = Path(__file__).resolve().parent.parent
CARD = ROOT / "detectors" / "atlas-run2.yaml"


def _card(tmp_path: Path, old: str, new: str, name: str = "bad.yaml") -> Path:
    text = CARD.read_text()
    assert old in text, f"card out of date: {old!r}"
    p = tmp_path / name
    p.write_text(text.replace(old, new, 1))
    return p


def test_shipped_card_loads_and_every_function_cites_a_source() -> None:
    assert "atlas-run2" in list_cards()
    card = load_card("atlas-run2")
    for name, spec in card.data["functions"].items():
        assert len(spec["source"]) > 10, name
        assert spec.get("trust") in ("A", "B", "C"), name
    assert card.approximate and card.data["approximations"]


@pytest.mark.parametrize(
    ("old", "new", "where", "says"),
    [
        ("efficiency: [JVT_EFFICIENCY]", "efficiency: [JVT_EFFICENCY]", "objects.jet.efficiency",
         "unknown function 'JVT_EFFICENCY'"),
        ("DL1R_B_70: {form: constant, value: 0.70,", "DL1R_B_70: {form: constant, value: 1.70,",
         "objects.jet.flavour_tagging.efficiency.b[70]", "ranges over [1.7, 1.7]"),
        ("edges: [0.0, 0.1, 1.0, 2.5], overflow", "edges: [0.0, 1.0, 0.1, 2.5], overflow",
         "functions.MUON_RECOEFF_ATLAS_RUN2", "must increase strictly"),
        ("default_working_point: tight\n    resolution: {function: ELECTRON_SMEAR",
         "default_working_point: medium\n    resolution: {function: ELECTRON_SMEAR",
         "objects.electron.default_working_point", "not one of the working points"),
        ("    values: [0.61, 0.98, 0.99]", "    values: [0.61, 0.98]",
         "functions.MUON_RECOEFF_ATLAS_RUN2", "shape (2,) but the axes have (3,) bins"),
        ("MUON_MEDIUM_PT]\n    default_working_point: medium\n", "MUON_MEDIUM_PT]\n",
         "objects.muon",
         "'default_working_point' is a required property"),
        ("name: atlas-run2\n", "", "", "'name' is a required property"),
        ("    source: \"Rivet MUON_RECOEFF_ATLAS_RUN2 (arXiv:1603.05598 Fig. 3 top)\"\n", "",
         "functions.MUON_RECOEFF_ATLAS_RUN2", "'source' is a required property"),
    ],
)  # fmt: skip
def test_wrong_card_gets_a_one_line_error_with_the_yaml_path(
    tmp_path: Path, old: str, new: str, where: str, says: str
) -> None:
    path = _card(tmp_path, old, new)
    with pytest.raises(SpecError) as exc:
        load_card(path)
    msg = str(exc.value)
    assert str(path) in msg and says in msg
    if where:
        assert f"at {where}" in msg
    assert len(msg.splitlines()) == 1, msg


def test_card_extends_another_and_overrides_one_function(tmp_path: Path) -> None:
    p = tmp_path / "rivet-jets.yaml"
    p.write_text(
        "schema: hepreint-detector/1\nname: rivet-jets\nextends: atlas-run2\n"
        "description: atlas-run2 with Rivet's jet resolution\n"
        "functions:\n  JET_ENERGY_RESOLUTION:\n    form: constant\n    value: 0.2\n"
        '    source: "a test override"\n'
    )
    card = load_card(p)
    assert card.name == "rivet-jets"
    assert float(card.function("JET_ENERGY_RESOLUTION")({"pt": np.array([50.0])})[0]) == 0.2
    assert "DL1R_B_70" in card.functions  # everything else inherited
    loop = tmp_path / "loop.yaml"
    loop.write_text("schema: hepreint-detector/1\nname: loop\nextends: loop.yaml\n")
    with pytest.raises(SpecError, match="extends"):
        load_card(loop)


def test_unknown_detector_and_missing_trigger_are_one_line_errors(
    example_sample: Path, tmp_path: Path
) -> None:
    with pytest.raises(SpecError, match="no such card; known: truth, none, atlas-run2"):
        run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(detectors=("atlas-run3",)))
    card = tmp_path / "notrig.yaml"
    card.write_text(
        "schema: hepreint-detector/1\nname: notrig\nextends: atlas-run2\n"
        "description: no triggers\ntriggers: {}\n"
    )
    text = card.read_text()
    assert "triggers: {}" in text
    # an override of triggers keeps the parent's (merged by name): remove by a full card instead
    full = CARD.read_text().split("\ntriggers:\n")[0] + "\n"
    (tmp_path / "nt.yaml").write_text(full.replace("name: atlas-run2", "name: nt"))
    with pytest.raises(
        SpecError, match="triggers single_lepton are not defined by detector card nt"
    ):
        run(ROOT / "analyses" / "ttHbb", [example_sample],
            RunOptions(detectors=(str(tmp_path / "nt.yaml"),)))  # fmt: skip


def _fingerprint(res):  # type: ignore[no-untyped-def]
    return {k: (r.n, r.sumw) for k, r in res.yields.regions.items()}


def test_same_seed_same_results_for_batch_sizes_and_different_seed_differs(
    example_sample: Path,
) -> None:
    opts = {"detectors": ("atlas-run2",), "seed": 5}
    a = run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(batch_size=100, **opts))
    b = run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(batch_size=5000, **opts))
    assert _fingerprint(a) == _fingerprint(b)
    c = run(ROOT / "analyses" / "ttHbb", [example_sample],
            RunOptions(detectors=("atlas-run2",), seed=6))  # fmt: skip
    assert _fingerprint(c) != _fingerprint(a)
    assert a.provenance["seed"] == 5 and a.provenance["detector"]["name"] == "atlas-run2"


@pytest.mark.slow  # a process pool (the fast lane leaves executors out; README)
def test_one_and_two_workers_give_bit_identical_smeared_results(example_sample: Path) -> None:
    # workers rebuild the analyses themselves: each must get the run's detectors and tagging,
    # not the analysis' default
    opts = {"detectors": ("truth", "atlas-run2"), "seed": 5, "batch_size": 40, "tagging": "truth"}
    ana = [ROOT / "analyses" / "ttHbb"]
    serial = run_many(ana, [example_sample], RunOptions(**opts))
    two = run_many(ana, [example_sample], RunOptions(executor="processes", workers=2, **opts))
    assert set(two) == {"ttHbb@truth", "ttHbb@atlas-run2"}
    for key in serial:
        assert _fingerprint(serial[key]) == _fingerprint(two[key]), key
    assert two["ttHbb@truth"].provenance["detector"]["name"] == "truth"


def test_two_files_with_the_same_event_numbers_get_independent_draws(
    example_sample: Path, tmp_path: Path
) -> None:
    import gzip

    # the same events under another run header: another file (content identity), same numbers
    copy = tmp_path / "copy.hepmc3"
    text = gzip.decompress(example_sample.read_bytes())
    other = text.replace(b"T hepreint\\|", b"T hepreint-copy\\|", 1)
    assert other != text
    copy.write_bytes(other)
    opts = RunOptions(detectors=("atlas-run2",), seed=5)
    a = run(ROOT / "analyses" / "ttHbb", [example_sample], opts)
    b = run(ROOT / "analyses" / "ttHbb", [copy], opts)
    truth = RunOptions(detectors=("truth",), seed=5)
    ta = run(ROOT / "analyses" / "ttHbb", [example_sample], truth)
    tb = run(ROOT / "analyses" / "ttHbb", [copy], truth)
    assert _fingerprint(ta) == _fingerprint(tb)  # the same events...
    assert _fingerprint(a) != _fingerprint(b)  # ...smeared with other draws


def test_truth_and_smeared_side_by_side_in_one_pass(example_sample: Path, tmp_path: Path) -> None:
    both = run_many([ROOT / "analyses" / "ttHbb"], [example_sample],
                    RunOptions(detectors=("truth", "atlas-run2"), seed=5))  # fmt: skip
    assert set(both) == {"ttHbb@truth", "ttHbb@atlas-run2"}
    alone = run(ROOT / "analyses" / "ttHbb", [example_sample],
                RunOptions(detectors=("atlas-run2",), seed=5))  # fmt: skip
    assert _fingerprint(both["ttHbb@atlas-run2"]) == _fingerprint(alone)
    truth, smeared = both["ttHbb@truth"].yields.regions, both["ttHbb@atlas-run2"].yields.regions
    # every smeared step keeps at most as many events as truth at the b-tag step (tags < 1)
    assert smeared["single_lepton"].n[-1] < truth["single_lepton"].n[-1]
    out = tmp_path / "out"
    r = CliRunner().invoke(main, ["run", "analyses/ttHbb", str(example_sample), "--detector",
                                  "truth,atlas-run2", "--seed", "5", "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "truth" in r.output and "atlas-run2" in r.output and "ratio" in r.output
    assert (out / "truth" / "results.json").is_file()
    assert (out / "atlas-run2" / "results.json").is_file()
    assert "ge3_b_1l" in (out / "side_by_side.txt").read_text()


def test_truth_tagging_keeps_events_and_agrees_with_direct_within_errors(
    example_sample: Path,
) -> None:
    direct = run(ROOT / "analyses" / "ttHbb", [example_sample],
                 RunOptions(detectors=("atlas-run2",), tagging="direct", seed=5))  # fmt: skip
    truth = run(ROOT / "analyses" / "ttHbb", [example_sample],
                RunOptions(detectors=("atlas-run2",), tagging="truth", seed=5))  # fmt: skip
    d, t = direct.yields.regions["single_lepton"], truth.yields.regions["single_lepton"]
    assert t.n[-1] >= d.n[-1]  # no event thrown away by the tag requirement
    assert t.n[-1] == t.n[-2] or t.n[-1] <= t.n[-2]
    assert truth.provenance["detector"]["tagging"] == "truth"
    # the weighted yield of the tag step is a probability-weighted count below the raw count
    assert 0 < t.sumw_float()[-1, 0] <= t.n[-1]


def test_default_detector_is_the_analysis_own(example_sample: Path) -> None:
    res = run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(seed=5))
    assert res.provenance["detector"]["name"] == "atlas-run2"
    assert any("approximate detector map atlas-run2" in w for w in res.warnings)
    truth = run(ROOT / "analyses" / "ttHbb", [example_sample],
                RunOptions(seed=5, detectors=("truth",)))  # fmt: skip
    assert truth.provenance["detector"]["name"] == "truth"


def test_an_analysis_copy_with_an_unknown_working_point_is_refused(
    example_sample: Path, tmp_path: Path
) -> None:
    d = tmp_path / "ana"
    shutil.copytree(ROOT / "analyses" / "ttHbb", d)
    y = d / "analysis.yaml"
    y.write_text(y.read_text().replace("working_point: tight", "working_point: ultratight", 1))
    with pytest.raises(SpecError, match="working point 'ultratight' is not in detector card"):
        run(d, [example_sample], RunOptions(detectors=("atlas-run2",)))


def test_a_card_without_an_object_the_analysis_needs_is_refused(
    example_sample: Path, tmp_path: Path
) -> None:
    text = CARD.read_text()
    start, end = text.index("  muon:\n    working_points:"), text.index("  photon:\n")
    p = tmp_path / "nomuon.yaml"
    p.write_text(text[:start] + text[end:])
    with pytest.raises(
        SpecError,
        match=r"object muons \(type: muon\): detector card atlas-run2 .* has no objects.muon entry",
    ):
        run(ROOT / "analyses" / "ttHbb", [example_sample], RunOptions(detectors=(str(p),)))


def test_card_readme_lists_every_function_with_its_source() -> None:
    readme = (ROOT / "detectors" / "README.md").read_text()
    card = load_card("atlas-run2")
    for name, spec in card.data["functions"].items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{name}` |")), "")
        assert row, f"detectors/README.md has no row for {name}"
        assert spec["source"].replace("|", "\\|") in row, f"{name}: source differs from the card"
    for a in card.data["approximations"]:
        assert a in readme
