"""Shares: the events of all shares of a run are exactly the serial stream's, each once.

Every worker reads its own share (:mod:`hepreint.io.shares`); whatever the number of parts and
the batch size, the union must equal the serial read: particle columns, weights, event numbers,
``file_id`` and ``offsets`` (what random draws are keyed on), reports and error messages.
"""

from __future__ import annotations

import gzip
import pickle
import re
import warnings
from pathlib import Path

import awkward as ak
import numpy as np
import pytest

import hepreint.io.shares as shares_module
from hepreint.errors import InputError
from hepreint.events.batch import PARTICLE_FIELDS
from hepreint.io import read_events
from hepreint.io.shares import file_identity, merge_reports, plan_shares, read_share

DATA = Path(__file__).parent / "data" / "io"


def one_fast(values: list, keep: object) -> list:
    """Parameters of which only ``keep`` runs in the fast lane (-m "not slow"); all run by
    default (the README's and CI's ``python -m pytest``)."""
    slow = pytest.mark.slow
    return [
        v if v == keep else pytest.param(*(v if isinstance(v, tuple) else (v,)), marks=slow)
        for v in values
    ]


PARTS = one_fast([1, 2, 3, 7], 2)


@pytest.fixture(autouse=True)
def small_shares(monkeypatch):
    """Cut even the small test files into many byte ranges."""
    monkeypatch.setattr(shares_module, "MIN_SHARE_BYTES", 1)


@pytest.fixture(scope="module")
def plain_example(tmp_path_factory, example_sample: Path) -> Path:
    path = tmp_path_factory.mktemp("plain") / "ttH_pruned.hepmc3"
    path.write_bytes(gzip.decompress(example_sample.read_bytes()))
    return path


@pytest.fixture(scope="module")
def gz_v2(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("gz") / "many_v2.hepmc.gz"
    path.write_bytes(gzip.compress((DATA / "many_v2.hepmc").read_bytes()))
    return path


def _columns(batches: list) -> dict[str, np.ndarray]:
    """Everything an event of one file carries, one row per event, sorted by offset."""
    if not batches:
        return {}
    offsets = np.concatenate([b.offsets for b in batches])
    file_ids = np.concatenate([np.full(len(b), b.file_id, dtype=np.int64) for b in batches])
    order = np.argsort(offsets, kind="stable")
    particles = ak.concatenate([b.particles for b in batches])[order]
    out = {
        "offsets": offsets[order],
        "file_id": file_ids[order],
        "numbers": np.concatenate([b.event_numbers for b in batches])[order],
        "weights": np.concatenate([b.weights for b in batches])[order],
        "counts": ak.to_numpy(ak.num(particles)),
    }
    for f in PARTICLE_FIELDS:
        out[f] = ak.to_numpy(ak.flatten(particles[f]))
    return out


def _assert_same_events(got: list, ref: list) -> None:
    """Per file (weight sets differ between files): the same events, each once."""
    sources = {b.source for b in got} | {b.source for b in ref}
    for source in sorted(sources):
        a = _columns([b for b in got if b.source == source])
        b = _columns([b for b in ref if b.source == source])
        assert a.keys() == b.keys()
        for key in a:
            assert a[key].dtype == b[key].dtype, key
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
        if a:
            assert len(np.unique(a["offsets"])) == len(a["offsets"])  # each once


def _read_shares(paths, n_parts, *, batch_size=5, reader="fast", **kw):
    planned = plan_shares(paths, n_parts, **kw)
    batches, reports = [], []
    for share in planned:
        stream = read_share(share, batch_size=batch_size, reader=reader)
        batches += list(stream)
        reports += stream.reports
    return planned, batches, reports


def _report_totals(reports) -> list[tuple]:
    return [
        (r.path, r.n_events_read, r.n_skipped, r.n_bad_skipped, r.complete, r.xsec_pb,
         r.xsec_err_pb, r.weight_names)
        for r in reports
    ]  # fmt: skip


def _check(paths, n_parts, *, batch_size=5, reader="fast", **kw):
    serial = read_events(paths, batch_size=13, reader=reader, **kw)
    ref = list(serial)
    planned, got, reports = _read_shares(paths, n_parts, batch_size=batch_size, reader=reader, **kw)
    _assert_same_events(got, ref)
    assert _report_totals(merge_reports(reports)) == _report_totals(serial.reports)
    return planned, got


@pytest.mark.parametrize("n_parts", PARTS)
@pytest.mark.parametrize("batch_size", one_fast([1, 1000], 1000))
def test_example_gz_strides(example_sample, n_parts, batch_size):
    planned, got = _check([example_sample], n_parts, batch_size=batch_size)
    assert len(planned) == n_parts and {s.kind for s in planned} == {"events"}
    assert sum(len(b) for b in got) == 130


@pytest.mark.parametrize("n_parts", PARTS)
@pytest.mark.parametrize("batch_size", one_fast([1, 7, 1000], 7))
def test_example_plain_byte_ranges(plain_example, n_parts, batch_size):
    planned, got = _check([plain_example], n_parts, batch_size=batch_size)
    assert {s.kind for s in planned} == {"bytes"}
    if n_parts > 1:
        assert len(planned) >= 2 * n_parts  # several per worker, for load balance
    assert all(len(list(read_share(s, batch_size=1000))) for s in planned)  # none is empty


def test_plain_and_gz_copies_agree(example_sample, plain_example):
    assert file_identity(example_sample) == file_identity(plain_example)
    assert file_identity(example_sample) != file_identity(DATA / "tth_v3.hepmc")
    (a,) = read_events([example_sample], batch_size=1000)
    (b,) = read_events([plain_example], batch_size=1000)
    assert a.file_id == b.file_id == file_identity(plain_example) > 0
    assert a.file_id < 2**63 and np.array_equal(a.offsets, b.offsets)


@pytest.mark.parametrize("name", ["many_v2.hepmc", "tth_v2.hepmc", "tth_v3.hepmc"])
@pytest.mark.parametrize("n_parts", PARTS)
@pytest.mark.parametrize("reader", ["fast", "pyhepmc"])
def test_small_files_both_readers(name, n_parts, reader):
    _check([DATA / name], n_parts, reader=reader)


@pytest.mark.parametrize("n_parts", PARTS)
def test_hepmc2_gz(gz_v2, n_parts):
    _check([gz_v2], n_parts, batch_size=11)


@pytest.mark.parametrize("n_parts", PARTS)
@pytest.mark.parametrize(
    ("skip", "max_events"),
    one_fast([(10, 50), (0, 1), (129, None), (130, None), (500, None), (5, 0), (125, 100)],
             (10, 50)),
)  # fmt: skip
def test_skip_and_max_events_single_file(example_sample, plain_example, n_parts, skip, max_events):
    for path in (example_sample, plain_example):
        _check([path], n_parts, skip=skip, max_events=max_events)


@pytest.mark.parametrize("n_parts", PARTS)
@pytest.mark.parametrize(
    ("skip", "max_events"),
    one_fast(
        [
            (0, None),
            (140, None),
            (100, 100),
            (150, 10),
            (0, 150),
            (290, None),
            (5, 400),
            (1000, 5),
            (0, 300),
            (299, 10),
        ],
        (100, 100),
    ),
)
def test_skip_and_max_events_over_files(tmp_path, gz_v2, n_parts, skip, max_events):
    copy = tmp_path / "copy_v2.hepmc"
    copy.write_bytes((DATA / "many_v2.hepmc").read_bytes())
    paths = [DATA / "many_v2.hepmc", gz_v2, DATA / "tth_v3.hepmc", copy]
    _check(paths, n_parts, skip=skip, max_events=max_events)


@pytest.mark.parametrize(("skip", "max_events"), one_fast([(100, 100), (140, 30)], (140, 30)))
def test_skip_and_max_events_over_big_files(example_sample, plain_example, skip, max_events):
    _check([example_sample, plain_example], 3, skip=skip, max_events=max_events)


def test_many_files_are_whole_file_shares(example_sample, gz_v2):
    paths = [DATA / "tth_v3.hepmc", DATA / "tth_v2.hepmc", gz_v2, example_sample]
    planned, _ = _check(paths, 1)
    assert [(s.part, s.n_parts) for s in planned] == [(0, 1)] * 4


def test_share_is_small_and_picklable(plain_example):
    for share in plan_shares([plain_example], 3, skip=3, max_events=40):
        assert pickle.loads(pickle.dumps(share)) == share
        assert len(pickle.dumps(share)) < 600


def test_xsec_of_the_last_event_wins(plain_example):
    serial = read_events([plain_example])
    list(serial)
    _, _, reports = _read_shares([plain_example], 3)
    assert len(reports) > 3
    (merged,) = merge_reports(reports[::-1])  # any order
    assert (merged.xsec_pb, merged.xsec_err_pb) == (serial.reports[0].xsec_pb,
                                                    serial.reports[0].xsec_err_pb)  # fmt: skip
    assert merged.xsec_offset == max(r.xsec_offset for r in reports) > 0


def test_changed_file_is_refused(tmp_path):
    path = tmp_path / "x.hepmc"
    path.write_bytes((DATA / "many_v2.hepmc").read_bytes())
    planned = plan_shares([path], 2)
    path.write_bytes((DATA / "bad_event137_v2.hepmc").read_bytes())
    with pytest.raises(InputError, match="changed since the run was planned"):
        read_share(planned[1], batch_size=10)


# --- errors: the same one-line messages as the serial reader -----------------------------------


def _serial_error(path: Path, **kw) -> str:
    with pytest.raises(InputError) as info:
        list(read_events([path], **kw))
    return str(info.value)


def _share_errors(paths, n_parts, **kw) -> tuple[list[str], int]:
    """Messages of the shares that fail, and the events the others delivered."""
    messages, delivered = [], 0
    for share in plan_shares(paths, n_parts):
        stream = read_share(share, batch_size=50, **kw)
        try:
            for batch in stream:
                delivered += len(batch)
        except InputError as exc:
            assert "\n" not in str(exc)
            assert exc.events_read == stream.events_read  # this share's, all delivered
            messages.append(str(exc))
    return messages, delivered


@pytest.mark.parametrize("n_parts", PARTS)
@pytest.mark.parametrize(
    "name",
    ["bad_event137_v2.hepmc", "truncated_v3.hepmc", "truncated_v2.hepmc", "nan_v2.hepmc",
     "junk_line_v2.hepmc", "lost_line_v2.hepmc", "weights_change_v2.hepmc"],
)  # fmt: skip
def test_broken_file_messages_match_serial(name, n_parts):
    path = DATA / name
    expected = _serial_error(path, reader="fast")
    messages, delivered = _share_errors([path], n_parts)
    assert messages == [expected]  # exactly one share fails, with the serial message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        good = sum(len(b) for b in read_events([path], skip_bad_events=True))
    assert delivered <= good


@pytest.mark.parametrize("n_parts", PARTS)
def test_skip_bad_events_per_share(n_parts):
    path = DATA / "bad_event137_v2.hepmc"
    batches, reports = [], []
    with pytest.warns(UserWarning, match="event 137"):
        for share in plan_shares([path], n_parts):
            stream = read_share(share, batch_size=40, skip_bad_events=True)
            batches += list(stream)
            reports += stream.reports
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        serial = read_events([path], skip_bad_events=True, reader="fast")
        ref = list(serial)
    _assert_same_events(batches, ref)
    (merged,) = merge_reports(reports)
    assert merged.n_bad_skipped == 1 and merged.complete
    assert merged.bad_event_messages == serial.reports[0].bad_event_messages


def test_corrupt_gzip_stride_shares(tmp_path, monkeypatch):
    import hepreint.io.split as split

    monkeypatch.setattr(split, "BLOCK_SIZE", 4096)
    data = gzip.compress((DATA / "many_v2.hepmc").read_bytes())
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    expected = _serial_error(path)
    messages, delivered = _share_errors([path], 3)
    assert messages == [expected] * 3  # every stride share meets the damage
    n = int(re.search(r"--max-events (\d+)", expected)[1])
    assert delivered == n


def test_stray_text_and_empty_files(tmp_path):
    path = tmp_path / "stray.hepmc"
    path.write_bytes((DATA / "many_v2.hepmc").read_bytes() + b"some log output\n")
    messages, delivered = _share_errors([path], 3)
    assert messages == [_serial_error(path)] and delivered == 150
    header_only = DATA / "header_only.hepmc"
    assert _share_errors([header_only], 3)[0] == [_serial_error(header_only)]


def test_concatenated_listings(tmp_path):
    """Same header twice: byte ranges read it right; a different second header: refused."""
    many = (DATA / "many_v2.hepmc").read_bytes()
    same = tmp_path / "same.hepmc"
    same.write_bytes(many + many)
    for n_parts in (1, 2, 3):
        _check([same], n_parts)
    other = tmp_path / "other.hepmc"
    other.write_bytes((DATA / "tth_v3.hepmc").read_bytes() + many)
    _check([other], 1)
    messages, _ = _share_errors([other], 3)
    assert any("second event listing with a different header" in m for m in messages)
