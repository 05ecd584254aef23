"""The fast (vectorised) HepMC3 reader gives exactly what the pyhepmc path gives, event by event,
and refuses, with the same kind of message, what pyhepmc refuses -- plus what it misreads."""

from __future__ import annotations

import gzip
import re
import warnings
from pathlib import Path

import awkward as ak
import numpy as np
import pyhepmc
import pytest

import hepreint.io.stream as stream_module
from hepreint.errors import InputError
from hepreint.events.batch import PARTICLE_FIELDS
from hepreint.io import read_events

DATA = Path(__file__).parent / "data" / "io"
V3_FILES = ["tth_v3.hepmc", "tth_v3_mev.hepmc", "runinfo_v3.hepmc", "hepmc30_noruninfo_v3.hepmc"]
V2_FILES = ["tth_v2.hepmc", "many_v2.hepmc", "pythia6_v2.hepmc", "epos_heavyion_v2.hepmc"]


def read(path: Path, reader: str, **kw):
    stream = read_events([path], reader=reader, **kw)
    return list(stream), stream.reports


def assert_identical(a: list, b: list) -> None:
    """Batch by batch, bit for bit (np.array_equal, dtypes too)."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert ak.num(x.particles).tolist() == ak.num(y.particles).tolist()
        for f in PARTICLE_FIELDS:
            u = ak.to_numpy(ak.flatten(x.particles[f]))
            v = ak.to_numpy(ak.flatten(y.particles[f]))
            assert u.dtype == v.dtype and np.array_equal(u, v), f
        assert np.array_equal(x.weights, y.weights) and x.weight_names == y.weight_names
        assert np.array_equal(x.event_numbers, y.event_numbers)
        assert (x.xsec_pb, x.xsec_err_pb) == (y.xsec_pb, y.xsec_err_pb)
        assert (x.source, x.index, x.first_event, x.meta) == (
            y.source,
            y.index,
            y.first_event,
            y.meta,
        )


@pytest.mark.parametrize("name", V3_FILES)
@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_identical_on_hepmc3_files(name, batch_size):
    ref, _ = read(DATA / name, "pyhepmc", batch_size=batch_size)
    got, (report,) = read(DATA / name, "fast", batch_size=batch_size)
    assert_identical(got, ref)
    assert report.reader == "fast" and report.n_fast_fallback == 0


def test_identical_on_example(example_sample):
    ref, _ = read(example_sample, "pyhepmc", batch_size=40)
    got, (report,) = read(example_sample, "fast", batch_size=40)
    assert_identical(got, ref)
    assert report.reader == "fast" and report.n_fast_fallback == 0 and report.complete


def test_small_blocks_skip_and_max_events(example_sample, monkeypatch):
    ref, _ = read(example_sample, "pyhepmc", batch_size=7, skip=5, max_events=60)
    monkeypatch.setattr(stream_module, "FAST_BLOCK_BYTES", 20_000)  # ~ one event per block
    got, (report,) = read(example_sample, "fast", batch_size=7, skip=5, max_events=60)
    assert_identical(got, ref)
    assert (report.n_skipped, report.n_events_read) == (5, 60)


@pytest.mark.slow
def test_fast_agrees_with_direct_pyhepmc_on_pythia_events(example_sample):
    batches, _ = read(example_sample, "fast", batch_size=50)
    k = 0
    with pyhepmc.open(str(example_sample)) as f:
        for evt in f:
            b, i = batches[k // 50], k % 50
            ref = evt.numpy.particles
            p = b.particles[i]
            np.testing.assert_array_equal(p.pid.to_numpy(), ref.pid)
            np.testing.assert_array_equal(p.status.to_numpy(), ref.status)
            for ours, theirs in (("px", "px"), ("py", "py"), ("pz", "pz"), ("E", "e")):
                np.testing.assert_array_equal(getattr(p, ours).to_numpy(), getattr(ref, theirs))
            np.testing.assert_array_equal(p.m.to_numpy(), [q.generated_mass for q in evt.particles])
            first_mother = [
                next(iter(q.production_vertex.particles_in)).id - 1
                if q.production_vertex is not None and len(q.production_vertex.particles_in)
                else -1
                for q in evt.particles
            ]
            assert p.parent.to_list() == first_mother
            np.testing.assert_array_equal(b.weights[i], evt.weights)
            assert b.event_numbers[i] == evt.event_number
            k += 1
    assert k == sum(len(b) for b in batches) > 100


@pytest.mark.parametrize("name", V2_FILES)
def test_hepmc2_falls_back_to_pyhepmc(name):
    ref, _ = read(DATA / name, "pyhepmc")
    got, (report,) = read(DATA / name, "fast")
    assert_identical(got, ref)
    assert report.reader == "pyhepmc"


def test_concatenated_v3_and_v2_listings(tmp_path):
    path = tmp_path / "cat.hepmc"
    path.write_bytes((DATA / "tth_v3.hepmc").read_bytes() + (DATA / "tth_v2.hepmc").read_bytes())
    ref, _ = read(path, "pyhepmc")
    got, (report,) = read(path, "fast")
    assert_identical(got, ref)
    assert report.n_fast_fallback == 3  # the HepMC2 events go through pyhepmc


def test_gzip_identical(tmp_path):
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress((DATA / "tth_v3.hepmc").read_bytes()))
    assert_identical(read(path, "fast")[0], read(path, "pyhepmc")[0])


def test_unknown_reader():
    with pytest.raises(ValueError, match="unknown reader 'uproot'"):
        read_events([DATA / "tth_v3.hepmc"], reader="uproot")


# --- broken files ------------------------------------------------------------------------------

TTH = (DATA / "tth_v3.hepmc").read_text()


def fail(path: Path, reader: str, **kw) -> tuple[InputError, int]:
    got = 0
    with pytest.raises(InputError) as info:
        for batch in read_events([path], reader=reader, **kw):
            got += len(batch)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return info.value, got


def edit(tmp_path: Path, old: str, new: str, nth: int = 1) -> Path:
    """tth_v3 with the ``nth`` occurrence of ``old`` replaced by ``new``."""
    at = -1
    for _ in range(nth):
        at = TTH.index(old, at + 1)
    path = tmp_path / "broken.hepmc"
    path.write_text(TTH[:at] + new + TTH[at + len(old) :])
    return path


def line_of(path: Path, text: str, nth: int = 0) -> int:
    lines = path.read_text().splitlines()
    return [i for i, ln in enumerate(lines, 1) if ln.startswith(text)][nth]


P7_EVENT2 = "P 7 -2 -6 6.1000000000000000e+01"


def _same_error_cases(tmp_path: Path) -> dict[str, Path]:
    p_line = next(ln for ln in TTH.splitlines() if ln.startswith(P7_EVENT2))
    return {
        "truncated": DATA / "truncated_v3.hepmc",
        "junk line": edit(tmp_path, p_line + "\n", p_line + "\nsome log output\n"),
        "nan momentum": edit(tmp_path, P7_EVENT2, "P 7 -2 -6 nan"),
        "lost particle line": edit(tmp_path, p_line + "\n", ""),
        "extra particle": edit(tmp_path, "E 2 5 13", "E 2 5 12"),
        "lost vertex line": edit(tmp_path, "V -2 0 [3,4]\n", "", nth=2),
        "weight nan": edit(tmp_path, "W 2.0000000000000000000000e+00", "W nan"),
        "weight count": edit(tmp_path, " 3.0000000000000000000000e+00\n", "\n"),
        "stray text": tmp_path / "stray.hepmc",
    }


@pytest.mark.parametrize(
    "case",
    [
        "truncated", "junk line", "nan momentum", "lost particle line", "extra particle",
        "lost vertex line", "weight nan", "weight count", "stray text",
    ],
)  # fmt: skip
def test_same_error_as_pyhepmc_path(tmp_path, case):
    (tmp_path / "stray.hepmc").write_text(TTH + "some log output\n")
    path = _same_error_cases(tmp_path)[case]
    ref, n_ref = fail(path, "pyhepmc")
    err, n = fail(path, "fast")
    assert str(err) == str(ref)
    assert (n, err.events_read) == (n_ref, ref.events_read)
    if case != "stray text" and case != "truncated":
        assert re.search(r"event 2 \(line \d+, byte \d+, event number 2\) is broken", str(err))
        with pytest.warns(UserWarning, match="event 2"):
            got, (report,) = read(path, "fast", skip_bad_events=True)
        with pytest.warns(UserWarning, match="event 2"):
            ref_batches, _ = read(path, "pyhepmc", skip_bad_events=True)
        assert_identical(got, ref_batches)
        assert report.n_bad_skipped == 1 and got[0].event_numbers.tolist() == [1, 3]


def test_vertex_count_mismatch_is_pyhepmcs_message(tmp_path):
    """Two beams that declare a vertex: HepMC3 says "too few vertices"; so does the fast path
    (it hands such events to pyhepmc)."""
    path = edit(tmp_path, "E 2 5 13", "E 2 6 13")
    ref, _ = fail(path, "pyhepmc")
    err, _ = fail(path, "fast")
    assert str(err) == str(ref) and "too few vertices were parsed" in str(err)


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("P 7 -2 -6 6.1000000000000000x+01", "field 4 is '6.1000000000000000x+01', not a number"),
        ("P 7 -2 -6e0 6.1000000000000000e+01", "field 3 is '-6e0', not an integer"),
        ("P 7 -2 -6  6.1000000000000000e+01", "does not hold 9 single-space-separated fields"),
        ("P 7 -2 -6 6.1000000000000000e+01 1.0", "does not hold 9 single-space-separated fields"),
    ],
)
def test_garbage_pyhepmc_reads_silently_is_refused(tmp_path, bad, words):
    path = edit(tmp_path, P7_EVENT2, bad)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert sum(len(b) for b in read_events([path])) == 3  # pyhepmc: no complaint
    err, n = fail(path, "fast", batch_size=1)
    msg = str(err)
    assert f"event 2 (line {line_of(path, bad)}, byte " in msg, msg
    assert "event number 2) is broken" in msg and words in msg and "--skip-bad-events" in msg
    assert n == err.events_read == 1
    with pytest.warns(UserWarning, match="event 2"):
        got, (report,) = read(path, "fast", skip_bad_events=True)
    assert [b.event_numbers.tolist() for b in got] == [[1, 3]]
    assert report.n_bad_skipped == 1


def test_particle_from_vertex_without_v_line_is_refused(tmp_path):
    """A lost V line with the E line's vertex count adjusted: pyhepmc drops the links silently
    (the three particles of vertex -2 lose their mother)."""
    path = edit(tmp_path, "V -2 0 [3,4]\n", "", nth=2)
    path.write_text(path.read_text().replace("E 2 5 13", "E 2 4 13"))
    (batch,) = read(path, "pyhepmc")[0]
    assert batch.particles.parent[1][4:7].to_list() == [-1, -1, -1]  # silently wrong
    err, _ = fail(path, "fast")
    assert f"event 2 (line {line_of(path, 'P 5 -2 25', 1)}, " in str(err)
    assert "particle 5 comes from vertex -2, which has no V line" in str(err)


def test_particle_entering_two_vertices_is_refused(tmp_path):
    path = edit(tmp_path, "V -2 0 [3,4]", "V -2 0 [3,1]", nth=2)
    err, _ = fail(path, "fast")
    assert "event 2" in str(err) and "particle 1 enters more than one vertex" in str(err)


def test_unusual_layout_goes_through_pyhepmc(tmp_path):
    """Particle ids out of order: not for the fast path; pyhepmc's verdict is kept."""
    text = TTH.replace("P 1 0 2212", "P X 0 2212", 1).replace("P 2 0 2212", "P 1 0 2212", 1)
    path = tmp_path / "swap.hepmc"
    path.write_text(text.replace("P X 0 2212", "P 2 0 2212", 1))
    ref, _ = fail(path, "pyhepmc")
    err, _ = fail(path, "fast")
    assert str(err) == str(ref) and "pyhepmc cannot parse it" in str(err)
