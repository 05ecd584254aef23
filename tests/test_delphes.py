"""Delphes ROOT input (hepreint.io.delphes, hepreint.objects.reco) on files with Delphes 3's tree
layout written by tests/make_delphes.py: the numbers read are the numbers written, batching,
--skip/--max-events and shares change nothing, collections are cut and tagged as asked, and
each kind of bad file gets its one-line message."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot
from make_delphes import DEFAULT, ensure, make_events, write

from hepreint.errors import InputError, SpecError
from hepreint.events.batch import PARTICLE_FIELDS
from hepreint.io import merge_reports, plan_shares, read_events, read_share, scan_file
from hepreint.objects.reco import reco_collection


@pytest.fixture(scope="module")
def written() -> tuple[Path, dict[str, ak.Array]]:
    """The committed file (regenerated if missing) and what it holds."""
    return ensure(DEFAULT), make_events()


def _read(paths: list[Path], **kw: object) -> list:
    return list(read_events(paths, **kw))  # type: ignore[arg-type]


def _concat(batches: list, kind: str) -> ak.Array:
    return ak.concatenate([b.reco[kind] for b in batches]) if kind else None


def _same(a: list, b: list, *, same_file: bool = True) -> None:
    """Two reads deliver the same events with the same content (and file identity)."""
    np.testing.assert_array_equal(np.concatenate([x.offsets for x in a]),
                                  np.concatenate([x.offsets for x in b]))  # fmt: skip
    np.testing.assert_array_equal(np.concatenate([x.weights for x in a]),
                                  np.concatenate([x.weights for x in b]))  # fmt: skip
    for kind in a[0].reco:
        assert ak.array_equal(_concat(a, kind), _concat(b, kind))
    assert ak.array_equal(ak.concatenate([x.particles for x in a]),
                          ak.concatenate([x.particles for x in b]))  # fmt: skip
    if same_file:
        assert [x.file_id for x in a][:1] * len(a) == [x.file_id for x in b][:1] * len(a)


def test_committed_file_is_what_the_script_writes(written, tmp_path) -> None:
    path, _ = written
    assert path.stat().st_size < 500_000
    again = write(tmp_path / "again.root")
    # the same content; the identity differs (it hashes the bytes, and ROOT writes a UUID)
    _same(_read([path]), _read([again]), same_file=False)


def test_numbers_read_are_those_written(written) -> None:
    path, ev = written
    batches = _read([path], batch_size=1000)
    (b,) = batches
    assert len(b) == 200 and b.meta["reconstructed"] == "delphes"
    np.testing.assert_array_equal(b.event_numbers, ak.flatten(ev["Event"].Number))
    np.testing.assert_array_equal(b.offsets, np.arange(200))
    assert b.weight_names == ("Event.Weight", "Weight.Weight[0]", "Weight.Weight[1]")
    np.testing.assert_array_equal(b.weights[:, 0], ak.flatten(ev["Event"].Weight))
    np.testing.assert_array_equal(b.weights[:, 1:], ak.to_numpy(ev["Weight"].Weight))
    assert b.file_id == scan_file(path).identity != 0
    jets = b.reco["jet"]
    np.testing.assert_array_equal(ak.num(jets), ak.num(ev["Jet"].PT))
    np.testing.assert_allclose(ak.flatten(jets.pt), ak.flatten(ev["Jet"].PT), rtol=1e-6)
    np.testing.assert_allclose(ak.flatten(jets.eta), ak.flatten(ev["Jet"].Eta), rtol=1e-5)
    np.testing.assert_allclose(ak.flatten(jets.mass), ak.flatten(ev["Jet"].Mass), rtol=1e-3)
    for kind, name in (("electron", "Electron"), ("muon", "Muon"), ("photon", "Photon")):
        np.testing.assert_array_equal(ak.num(b.reco[kind]), ak.num(ev[name].PT))
        np.testing.assert_allclose(ak.flatten(b.reco[kind].pt), ak.flatten(ev[name].PT), 1e-6)
    charge = ak.flatten(ev["Electron"].Charge)
    np.testing.assert_array_equal(ak.flatten(b.reco["electron"].pid), -11 * charge)
    met = ev["MissingET"]
    np.testing.assert_allclose(b.reco["met"].pt, ak.flatten(met.MET), rtol=1e-6)
    np.testing.assert_allclose(b.reco["met"].phi, ak.flatten(met.Phi), atol=1e-6)
    assert b.particles.fields == list(PARTICLE_FIELDS)
    np.testing.assert_array_equal(ak.flatten(b.particles.pid), ak.flatten(ev["Particle"].PID))
    np.testing.assert_array_equal(ak.flatten(b.particles.parent), ak.flatten(ev["Particle"].M1))
    np.testing.assert_array_equal(ak.flatten(b.particles.E), ak.flatten(ev["Particle"].E))


def test_batch_size_changes_nothing(written) -> None:
    path, _ = written
    small, big = _read([path], batch_size=7), _read([path], batch_size=1000)
    assert len(small) == 29 and [len(b) for b in small][-1] == 4
    assert [b.index for b in small] == list(range(29))
    assert [b.first_event for b in small][:3] == [0, 7, 14]
    _same(small, big)


def test_skip_and_max_events(written, tmp_path) -> None:
    path, _ = written
    other = write(tmp_path / "other.root", make_events(50, seed=7))
    stream = read_events([path, other], batch_size=9, skip=13, max_events=50)
    batches = list(stream)
    np.testing.assert_array_equal(np.concatenate([b.offsets for b in batches]),
                                  np.arange(13, 63))  # fmt: skip
    (report,) = stream.reports
    assert (report.n_skipped, report.n_events_read, report.complete) == (13, 50, False)
    # the skip goes past the first file: the second is read from its entry 20
    stream = read_events([path, other], batch_size=9, skip=220)
    batches = list(stream)
    assert {b.source for b in batches} == {str(other)}
    np.testing.assert_array_equal(np.concatenate([b.offsets for b in batches]), np.arange(20, 50))
    assert [(r.n_skipped, r.n_events_read, r.complete) for r in stream.reports] == [
        (200, 0, True), (20, 30, True)]  # fmt: skip
    whole = _read([path], batch_size=1000)[0]
    part = _read([path], batch_size=1000, skip=13, max_events=50)[0]
    assert ak.array_equal(part.reco["jet"], whole.reco["jet"][13:63])


@pytest.mark.parametrize(("skip", "max_events"), [(0, None), (13, 150), (230, None), (5, 0)])
def test_shares_give_the_serial_events(written, tmp_path, skip, max_events) -> None:
    path, _ = written
    other = write(tmp_path / "other.root", make_events(150, seed=7))
    files = [path, other]
    stream = read_events(files, batch_size=11, skip=skip, max_events=max_events)
    serial = list(stream)
    shares = plan_shares(files, 2, skip=skip, max_events=max_events)
    if max_events is None and skip == 0:
        assert len(shares) >= 2 and {s.kind for s in shares} == {"entries"}
    parallel, reports = [], []
    for share in reversed(shares):  # any order: workers finish when they finish
        reader = read_share(share, batch_size=11)
        parallel = list(reader) + parallel
        reports += reader.reports
    if serial:
        _same(serial, parallel)
    else:
        assert not parallel
    key = lambda r: (r.path, r.n_events_read, r.n_skipped, r.complete, r.weight_names)  # noqa: E731
    assert sorted(map(key, merge_reports(reports))) == sorted(map(key, stream.reports))


def test_collections_are_cut_sorted_and_tagged(written) -> None:
    path, ev = written
    (b,) = _read([path], batch_size=1000)
    params = {"pt_min": 25.0, "abs_eta_max": 2.5, "R": 0.4, "flavour_dR": 0.3,
              "delphes_btag_bits": {85: 1}}  # fmt: skip
    jets = reco_collection("jet", params, b, name="jets")
    assert jets.fields == ["px", "py", "pz", "E", "n_constituents", "flavour", "btag60",
                           "btag70", "btag77", "btag85", "tag_bin", "tau_tag"]  # fmt: skip
    raw = ev["Jet"]
    keep = (raw.PT >= 25.0) & (abs(raw.Eta) < 2.5)
    np.testing.assert_array_equal(ak.num(jets), ak.sum(keep, axis=1))
    assert ak.all(jets.pt[:, 1:] <= jets.pt[:, :-1])
    bits = ak.flatten(raw.BTag[keep])
    np.testing.assert_array_equal(ak.flatten(jets.btag70), bits & 1 == 1)
    np.testing.assert_array_equal(ak.flatten(jets.btag60), bits & 1 == 1)
    np.testing.assert_array_equal(ak.flatten(jets.btag85), (bits >> 1) & 1 == 1)
    flavor = ak.to_numpy(ak.flatten(raw.Flavor[keep])).astype(int)
    expected = np.where(np.isin(flavor, (4, 5)), flavor, 0)
    np.testing.assert_array_equal(ak.flatten(jets.flavour), expected)
    assert set(np.unique(flavor)) >= {1, 21, 5} and set(np.unique(expected)) <= {0, 4, 5}
    np.testing.assert_array_equal(
        ak.flatten(jets.n_constituents),
        ak.flatten(raw.NCharged[keep] + raw.NNeutrals[keep]),
    )
    taus = reco_collection("tau", {"pt_min": 20.0}, b)
    assert taus.fields == ["px", "py", "pz", "E", "charge", "pid"]
    np.testing.assert_array_equal(
        ak.num(taus), ak.sum((raw.TauTag == 1) & (raw.PT >= 20.0), axis=1)
    )
    electrons = reco_collection(
        "electron", {"pt_min": 27.0, "abs_eta_max": 2.47, "dress_dR": 0.1}, b
    )
    assert electrons.fields == ["px", "py", "pz", "E", "charge", "pid"]
    e = ev["Electron"]
    expected_n = ak.sum((e.PT >= 27.0) & (abs(e.Eta) < 2.47), axis=1)
    np.testing.assert_array_equal(ak.num(electrons), expected_n)
    assert ak.all(electrons.pt >= 27.0) and ak.all(abs(electrons.eta) < 2.47)
    assert reco_collection("photon", {"iso_et_frac": 0.065}, b).fields == [
        "px", "py", "pz", "E", "iso"]  # fmt: skip
    met = reco_collection("met", {"invisible_pids": [1000022]}, b)
    assert met.fields == ["px", "py"] and len(met) == 200
    defaults = reco_collection("jet", {}, b)  # the truth kind's 20 GeV default
    assert ak.min(ak.flatten(defaults.pt)) >= 20.0
    assert ak.sum(ak.num(defaults)) == ak.sum(raw.PT >= 20.0)


@pytest.mark.parametrize(
    ("kind", "params", "error", "words"),
    [
        ("jet", {"R": 1.0}, SpecError, ["'obj' (type jet)", "R = 1", "large_r_jet"]),
        ("large_r_jet", {"R": 1.0}, SpecError, ["'obj' (type large_r_jet)", "FatJet"]),
        ("large_r_jet", {"R": 0.4}, SpecError, ["R = 0.4", "type jet"]),
        ("jet", {"delphes_btag_bits": {65: 1}}, SpecError, ["65", "60, 70, 77, 85"]),
        ("jet", {"delphes_btag_bits": {70: 40}}, SpecError, ["bit 0-31"]),
        ("jet", {"delphes_btag_bits": [70]}, SpecError, ["delphes_btag_bits must map"]),
        ("neutralino", {}, SpecError, ["no Delphes collection"]),
    ],
)
def test_object_errors(written, kind, params, error, words) -> None:
    path, _ = written
    b = _read([path], batch_size=10, max_events=10)[0]
    with pytest.raises(error) as info:
        reco_collection(kind, params, b, name="obj")
    message = str(info.value)
    assert "\n" not in message and all(w in message for w in words), message


def test_missing_collection_names_its_branch(tmp_path) -> None:
    events = make_events(20, particles=False, weights=0)
    del events["Photon"]
    path = write(tmp_path / "nophoton.root", events)
    (b,) = _read([path])
    assert b.weight_names == ("Event.Weight",)
    assert len(ak.flatten(b.particles.pid)) == 0 and len(b.particles) == 20
    with pytest.raises(InputError, match=r"nophoton.root: the Delphes tree has no Photon branch"
                       r" .*'gammas' \(type photon\)"):  # fmt: skip
        reco_collection("photon", {}, b, name="gammas")
    assert len(reco_collection("jet", {}, b)) == 20


def _root_with(path: Path, **trees: dict) -> Path:
    """A ROOT file with TTrees (not RNTuples, uproot's default), a histogram and an RNTuple."""
    with uproot.recreate(path) as f:
        for name, branches in trees.items():
            f.mktree(name, {k: v.dtype for k, v in branches.items()})
            f[name].extend(branches)
        f["h_pt"] = np.histogram(np.arange(10.0), bins=5)
        f["nt"] = {"pt": np.arange(3.0)}
    return path


def test_bad_files_get_one_line_each(written, tmp_path) -> None:
    path, _ = written
    cases: list[tuple[Path, list[str]]] = []
    foreign = _root_with(tmp_path / "ntuple.root", events={"pt": np.arange(5.0)})
    cases.append(
        (
            foreign,
            ["without a 'Delphes' tree", "events (TTree)", "h_pt (TH1D)", "nt (ROOT::RNTuple)"],
        )
    )
    odd = _root_with(tmp_path / "odd.root", Delphes={"x": np.arange(5.0)})
    cases.append((odd, ["no Event branch", "not Delphes output", "it has x"]))
    events = make_events(10)
    events["Jet"] = ak.zip({k: events["Jet"][k] for k in events["Jet"].fields if k != "BTag"})
    cases.append((write(tmp_path / "nobtag.root", events), ["Jet branch without its Jet.BTag"]))
    data = path.read_bytes()
    for frac in (0.5, 0.9, 0.999):
        cut = tmp_path / f"cut{frac}.root"
        cut.write_bytes(data[: int(len(data) * frac)])
        cases.append((cut, ["damaged or truncated ROOT file"]))
    header = tmp_path / "header.root"
    header.write_bytes(b"root\x00\x00\xf4\x4b" + bytes(200))
    cases.append((header, ["a ROOT file that holds no objects"]))
    text = tmp_path / "notes.root"
    text.write_bytes(b"these are not events\n")
    cases.append((text, ["not a HepMC ASCII file", "Delphes ROOT files"]))
    packed = tmp_path / "delphes.root.gz"
    packed.write_bytes(gzip.compress(data[:8192]))
    cases.append((packed, ["compressed ROOT file; decompress it"]))
    for bad, words in cases:
        with pytest.raises(InputError) as info:
            _read([bad])
        message = str(info.value)
        assert message.startswith(str(bad)) and "\n" not in message, message
        assert all(w in message for w in words), message


def test_damaged_basket_is_reported_at_its_read(written, tmp_path) -> None:
    """A file whose directory is intact but a basket is garbage fails when that entry range is
    read, with the same one-line message (and the events before it delivered)."""
    path, _ = written
    data = bytearray(path.read_bytes())
    tree = uproot.open(path)["Delphes"]
    basket = tree["Jet.PT"].member("fBasketSeek")[2]  # the third basket of Jet.PT
    data[basket + 80 : basket + 400] = b"\x00" * 320
    broken = tmp_path / "broken.root"
    broken.write_bytes(bytes(data))
    stream = read_events([broken], batch_size=64)
    with pytest.raises(InputError, match="damaged or truncated ROOT file"):
        for _ in stream:
            pass
    assert stream.events_read == 128


def test_empty_tree(tmp_path) -> None:
    path = write(tmp_path / "empty.root", make_events(0))
    with pytest.raises(InputError, match="empty.root: the Delphes tree has no entries"):
        _read([path])


def test_copy_has_the_same_identity(written, tmp_path) -> None:
    path, _ = written
    copy = tmp_path / "copy.root"
    shutil.copy(path, copy)
    other = write(tmp_path / "other.root", make_events(200, seed=99))
    assert scan_file(copy).identity == scan_file(path).identity != scan_file(other).identity
    assert scan_file(path).entries == 200 and scan_file(path).format == "delphes"


def _run(tmp_path: Path, *args: str) -> dict:
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "hepreint", "run", str(root / "analyses" / "ttHbb"), *args,
         "-o", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads((out / "results.json").read_text())


def test_run_on_delphes_says_the_input_was_reconstructed(written, tmp_path) -> None:
    path, ev = written
    res = _run(tmp_path, str(path))
    prov = res["provenance"]
    assert prov["detector"]["name"] == "delphes"
    assert "skipped" in prov["detector"]["description"]
    assert [(i["format"], i["events_read"]) for i in prov["inputs"]] == [("delphes", 200)]
    assert res["weight_names"][:1] == ["Event.Weight"]
    first = res["regions"]["single_lepton"]["cutflow"][0]
    weights = ak.to_numpy(ak.flatten(ev["Event"].Weight)).astype(np.float64)
    assert first["raw"] == 200 and first["sumw"] == pytest.approx(weights.sum(), rel=1e-12)


def test_run_on_delphes_with_skip_max_events_and_small_batches(written, tmp_path) -> None:
    path, ev = written
    res = _run(tmp_path, str(path), "--skip", "20", "--max-events", "100", "--batch-size", "7")
    first = res["regions"]["dilepton"]["cutflow"][0]
    weights = ak.to_numpy(ak.flatten(ev["Event"].Weight)).astype(np.float64)[20:120]
    assert first["raw"] == 100 and first["sumw"] == pytest.approx(weights.sum(), rel=1e-12)


@pytest.mark.slow
def test_run_on_delphes_with_two_workers_equals_serial(written, tmp_path) -> None:
    path, _ = written
    serial = _run(tmp_path / "serial", str(path), "--batch-size", "30")
    parallel = _run(tmp_path / "parallel", str(path), "--batch-size", "30", "--executor",
                    "processes", "--workers", "2")  # fmt: skip
    assert parallel["provenance"]["workers"] == 2
    assert parallel["regions"] == serial["regions"]
