"""Reading HepMC files: formats, flavours of other generators, units, weights, batching."""

from __future__ import annotations

import bz2
import gzip
import shutil
import sys
from pathlib import Path

import awkward as ak
import numpy as np
import pyhepmc
import pytest
import zstandard

from hepreint.events.batch import PARTICLE_FIELDS
from hepreint.io import EventStream, read_events, scan_file

DATA = Path(__file__).parent / "data" / "io"
sys.path.insert(0, str(DATA))
import make_files  # noqa: E402

FIELDS = list(PARTICLE_FIELDS)


def read_all(paths, **kw):
    batches = list(read_events([DATA / p if isinstance(p, str) else p for p in paths], **kw))
    return batches


def concat(batches):
    parts = ak.concatenate([b.particles for b in batches])
    weights = np.concatenate([b.weights for b in batches])
    numbers = np.concatenate([b.event_numbers for b in batches])
    return parts, weights, numbers


def assert_same(a, b, rtol=0.0):
    """Identical content; ``rtol`` for floats written differently (unit conversion, mass)."""
    pa, wa, na = concat(a)
    pb, wb, nb = concat(b)
    assert ak.to_list(ak.num(pa)) == ak.to_list(ak.num(pb))
    for f in FIELDS:
        x, y = ak.flatten(pa[f]).to_numpy(), ak.flatten(pb[f]).to_numpy()
        if rtol and x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-12)
        else:
            np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(wa, wb)
    np.testing.assert_array_equal(na, nb)


@pytest.mark.parametrize("name", ["tth_v3.hepmc", "tth_v2.hepmc", "tth_v3_mev.hepmc"])
def test_known_event_content(name):
    (batch,) = read_all([name])
    assert len(batch) == make_files.N_EVENTS
    parts = batch.particles
    assert ak.to_list(ak.num(parts)) == [len(make_files.TOPOLOGY)] * make_files.N_EVENTS
    for k in range(make_files.N_EVENTS):
        assert parts.parent[k].to_list() == make_files.EXPECTED_PARENTS
        assert parts.pid[k].to_list() == [pid for pid, _ in make_files.TOPOLOGY]
        assert parts.status[k].to_list() == [st for _, st in make_files.TOPOLOGY]
        expected = np.array([make_files.momentum(i, k) for i in range(len(make_files.TOPOLOGY))])
        got = np.stack([parts[f][k].to_numpy() for f in ("px", "py", "pz", "E")], axis=1)
        np.testing.assert_allclose(got, expected, rtol=1e-12)  # GeV even for the MeV file
        masses = parts.m[k].to_numpy()
        np.testing.assert_allclose(masses[2:], 0.1 * np.arange(2, 13), rtol=1e-6)
    assert batch.weight_names == tuple(make_files.WEIGHT_NAMES)
    np.testing.assert_array_equal(batch.weights[:, 0], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(batch.weights[:, 2], [2.0, 3.0, 4.0])
    assert batch.xsec_pb == pytest.approx(0.7)  # the last value seen
    assert batch.xsec_err_pb == pytest.approx(0.01)
    assert batch.event_numbers.tolist() == [1, 2, 3]
    assert ak.flatten(parts.pid).to_numpy().dtype == np.int32
    assert ak.flatten(parts.parent).to_numpy().dtype == np.int32
    assert ak.flatten(parts.status).to_numpy().dtype == np.int32
    assert ak.flatten(parts.E).to_numpy().dtype == np.float64
    assert batch.meta["unweighted"] is False


def test_hepmc2_and_hepmc3_identical():
    # the writers compute the unset mass slightly differently (1e-12): hence rtol
    assert_same(read_all(["tth_v2.hepmc"]), read_all(["tth_v3.hepmc"]), rtol=1e-9)
    assert_same(read_all(["tth_v3_mev.hepmc"]), read_all(["tth_v3.hepmc"]), rtol=1e-12)


def test_written_by_pyhepmc_writers_identical(tmp_path):
    """Events written with WriterAscii and WriterAsciiHepMC2 read back identically."""
    pyhepmc.Setup.print_warnings = False
    with pyhepmc.open(DATA / "many_v2.hepmc") as f:
        events = list(f)
    for fmt in ("hepmc3", "hepmc2"):
        with pyhepmc.open(tmp_path / f"out_{fmt}.dat", "w", format=fmt) as out:
            for evt in events:
                out.write(evt)
    a = read_all([tmp_path / "out_hepmc3.dat"], batch_size=40)
    b = read_all([tmp_path / "out_hepmc2.dat"], batch_size=40)
    assert sum(len(x) for x in a) == 150
    assert_same(a, b)
    assert a[0].meta["format"] == "hepmc3" and b[0].meta["format"] == "hepmc2"


def test_agrees_with_direct_pyhepmc():
    batches = read_all(["many_v2.hepmc"], batch_size=7)
    parts, weights, numbers = concat(batches)
    with pyhepmc.open(DATA / "many_v2.hepmc") as f:
        for k, evt in enumerate(f):
            ref = evt.numpy.particles
            np.testing.assert_array_equal(parts.pid[k].to_numpy(), ref.pid)
            np.testing.assert_array_equal(parts.px[k].to_numpy(), ref.px)
            np.testing.assert_array_equal(parts.E[k].to_numpy(), ref.e)
            np.testing.assert_array_equal(weights[k], evt.weights)
            assert numbers[k] == evt.event_number
            mothers = []
            for p in evt.particles:
                v = p.production_vertex
                ins = list(v.particles_in) if v is not None else []
                mothers.append(ins[0].id - 1 if ins else -1)
            assert parts.parent[k].to_list() == mothers
    assert k == 149


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_batching_does_not_change_content(batch_size):
    ref = read_all(["many_v2.hepmc"], batch_size=1000)
    got = read_all(["many_v2.hepmc"], batch_size=batch_size)
    assert [len(b) for b in got][:-1] == [batch_size] * (len(got) - 1)
    assert [b.index for b in got] == list(range(len(got)))
    assert [b.first_event for b in got] == list(range(0, 150, batch_size))
    assert_same(got, ref)


def test_skip_and_max_events_across_files():
    files = ["tth_v3.hepmc", "many_v2.hepmc"]  # 3 + 150 events
    everything = concat(read_all(files))
    stream = read_events([DATA / f for f in files], skip=2, max_events=10, batch_size=4)
    batches = list(stream)
    assert [len(b) for b in batches] == [1, 4, 4, 1]  # batches never span files
    assert [b.index for b in batches] == [0, 1, 2, 3]
    assert [b.first_event for b in batches] == [2, 0, 4, 8]
    assert [Path(b.source).name for b in batches] == ["tth_v3.hepmc"] + ["many_v2.hepmc"] * 3
    parts, weights, numbers = concat(batches)
    np.testing.assert_array_equal(numbers, everything[2][2:12])
    np.testing.assert_array_equal(
        ak.flatten(parts.px).to_numpy(), ak.flatten(everything[0].px[2:12]).to_numpy()
    )
    first, second = stream.reports
    assert (first.n_skipped, first.n_events_read, first.complete) == (2, 1, True)
    assert (second.n_skipped, second.n_events_read, second.complete) == (0, 9, False)
    assert stream.events_read == 10
    # skip beyond the first file
    batches = read_all(files, skip=5, max_events=2)
    assert concat(batches)[2].tolist() == [3, 4]


def test_stream_reports_and_scan():
    stream = read_events([DATA / "tth_v3.hepmc"])
    assert isinstance(stream, EventStream)
    list(stream)
    (report,) = stream.reports
    assert report.size_bytes == (DATA / "tth_v3.hepmc").stat().st_size
    assert (report.format, report.compression, report.n_events_read) == ("hepmc3", "none", 3)
    assert report.complete and report.weight_names == tuple(make_files.WEIGHT_NAMES)
    info = scan_file(DATA / "tth_v2.hepmc")
    assert (info.format, info.compression) == ("hepmc2", "none")


@pytest.mark.parametrize(
    ("compress", "magic"),
    [
        (gzip.compress, b"\x1f\x8b"),
        (bz2.compress, b"BZh"),
        (lambda d: zstandard.ZstdCompressor().compress(d), b"\x28\xb5\x2f\xfd"),
    ],
)
def test_compressed_identical_to_plain(tmp_path, compress, magic):
    raw = (DATA / "many_v2.hepmc").read_bytes()
    # misleading name on purpose: detection goes by content
    path = tmp_path / "events.hepmc"
    path.write_bytes(compress(raw))
    assert path.read_bytes().startswith(magic)
    stream = read_events([path], batch_size=64)
    got = list(stream)
    assert_same(got, read_all(["many_v2.hepmc"], batch_size=64))
    assert stream.reports[0].compression != "none"


def test_zstd_multiframe(tmp_path):
    raw = (DATA / "many_v2.hepmc").read_bytes()
    half = raw.index(b"\nE 75 ") + 1
    cctx = zstandard.ZstdCompressor()
    path = tmp_path / "x.zst"
    path.write_bytes(cctx.compress(raw[:half]) + cctx.compress(raw[half:]))
    assert_same(read_all([path]), read_all(["many_v2.hepmc"]))


def test_small_blocks_split_correctly(monkeypatch):
    """Events straddling read blocks (and events larger than a block) are reassembled."""
    import hepreint.io.split as split

    ref = read_all(["many_v2.hepmc"])
    monkeypatch.setattr(split, "BLOCK_SIZE", 97)
    assert_same(read_all(["many_v2.hepmc"]), ref)


def test_older_generator_flavours():
    (p6,) = read_all(["pythia6_v2.hepmc"])  # no U/C/N lines, H and F lines, signal vertex
    assert len(p6) == 2 and p6.weight_names == ("w0", "w1")
    np.testing.assert_array_equal(p6.weights, [[1.0, 0.25], [2.0, 0.25]])
    assert p6.xsec_pb is None and p6.meta["unweighted"] is False
    assert p6.particles.parent[0].to_list() == [-1, -1, 0, 0, 0, 2, 2]
    assert p6.particles.E[1][2] == 100.0

    (epos,) = read_all(["epos_heavyion_v2.hepmc"])  # MeV, many vertices, no weights
    assert epos.meta["unweighted"] is True and epos.weight_names == ("unit",)
    np.testing.assert_array_equal(epos.weights, [[1.0], [1.0]])
    assert len(epos.particles[0]) == 18
    assert epos.particles.pz[0][0] == pytest.approx(1.0)  # 1000 MeV
    assert epos.particles.parent[0].to_list() == [-1, 0, 0] + sum(
        ([-1, 3 * v, 3 * v] for v in range(1, 6)), []
    )

    (v30,) = read_all(["hepmc30_noruninfo_v3.hepmc"])  # HepMC 3.0: no run info, no xsec
    assert v30.event_numbers.tolist() == [7, 8]
    assert v30.weight_names == ("w0", "w1") and v30.xsec_pb is None
    assert v30.particles.parent[1].to_list() == [-1, -1, 0, 2]

    (ri,) = read_all(["runinfo_v3.hepmc"])  # tool lines, 2-value GenCrossSection
    assert ri.weight_names == ("Weight", "MUR1_MUF1")
    assert (ri.xsec_pb, ri.xsec_err_pb) == (123.4, 0.5)


def test_unknown_pdg_codes_are_kept():
    (batch,) = read_all(["unknown_pdg_v2.hepmc"])
    pids = batch.particles.pid[0].to_list()
    assert 9999999 in pids and 0 in pids and 4900101 in pids
    assert len(pids) == len(make_files.TOPOLOGY)


def test_concatenated_listings(tmp_path):
    path = tmp_path / "cat.hepmc"
    path.write_bytes((DATA / "tth_v3.hepmc").read_bytes() + (DATA / "tth_v2.hepmc").read_bytes())
    batches = read_all([path])
    assert sum(len(b) for b in batches) == 6
    parts = concat(batches)[0]
    assert parts.parent[4].to_list() == make_files.EXPECTED_PARENTS


def test_files_are_up_to_date(tmp_path, monkeypatch):
    """make_files.py regenerates exactly the committed files."""
    monkeypatch.setattr(make_files, "HERE", tmp_path)
    make_files.main()
    for path in tmp_path.iterdir():
        assert path.read_bytes() == (DATA / path.name).read_bytes(), path.name


def test_invalid_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        read_events([DATA / "tth_v3.hepmc"], batch_size=0)
    with pytest.raises(ValueError, match="reader"):
        read_events([DATA / "tth_v3.hepmc"], reader="uproot")


def test_copy_of_data_dir_is_not_needed(tmp_path):
    # reading does not depend on the file name or directory
    shutil.copy(DATA / "tth_v3.hepmc", tmp_path / "noext")
    assert len(read_all([tmp_path / "noext"])[0]) == 3
