"""Bad input fails loudly with a one-line message naming the file, the place and the fix."""

from __future__ import annotations

import ctypes
import gzip
import re
import warnings
from pathlib import Path

import pyhepmc
import pytest
import zstandard

from hepreint.errors import InputError
from hepreint.io import read_events

DATA = Path(__file__).parent / "data" / "io"


def fail(path: Path, **kw) -> tuple[InputError, list]:
    got: list = []
    with pytest.raises(InputError) as info:
        for batch in read_events([path], **kw):
            got.append(batch)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message
    return info.value, got


def pyhepmc_count(path: Path) -> int:
    """Events a bare pyhepmc loop delivers (it stops silently at a broken event)."""
    setup = pyhepmc.Setup
    saved = setup.print_errors, setup.print_warnings, setup.debug_level
    setup.print_errors = setup.print_warnings = False
    setup.debug_level = 0
    try:
        with pyhepmc.open(path) as f:
            return sum(1 for _ in f)
    finally:
        setup.print_errors, setup.print_warnings, setup.debug_level = saved


def test_missing_file(tmp_path):
    err, _ = fail(tmp_path / "nope.hepmc")
    assert "not found" in str(err)


def test_missing_file_fails_before_first_batch(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_events([DATA / "tth_v3.hepmc", tmp_path / "nope.hepmc"])


def test_directory(tmp_path):
    err, _ = fail(tmp_path)
    assert "directory" in str(err)


def test_empty_file():
    err, _ = fail(DATA / "empty.hepmc")
    assert "empty (0 bytes)" in str(err)


def test_header_only():
    err, _ = fail(DATA / "header_only.hepmc")
    assert "no events" in str(err)


def test_whitespace_only(tmp_path):
    path = tmp_path / "blank.hepmc"
    path.write_text("\n\n   \n")
    assert "only whitespace" in str(fail(path)[0])


@pytest.mark.parametrize(
    ("name", "words"),
    [("garbage.hepmc", "not a HepMC ASCII file"), ("lhe_events.hepmc", "LHE file")],
)
def test_not_hepmc(name, words):
    assert words in str(fail(DATA / name)[0])


def test_truncated_mid_line_hepmc3():
    err, got = fail(DATA / "truncated_v3.hepmc")
    msg = str(err)
    assert re.search(r"truncated at byte \d+ inside event 3 \(line \d+", msg), msg
    assert "--max-events 2" in msg and "re-copy" in msg
    assert err.events_read == 2 and sum(len(b) for b in got) == 2


def test_truncated_at_line_end_hepmc2():
    path = DATA / "truncated_v2.hepmc"
    assert pyhepmc_count(path) == 2  # pyhepmc stops silently, no exception
    err, got = fail(path)
    assert "inside event 3" in str(err) and "12 of 13 particle lines" in str(err)
    assert err.events_read == 2


def test_broken_line_in_event_137():
    path = DATA / "bad_event137_v2.hepmc"
    assert pyhepmc_count(path) == 136  # pyhepmc stops there without an exception
    err, got = fail(path, batch_size=50)
    msg = str(err)
    lines = path.read_text().splitlines()
    bad_line = next(i for i, ln in enumerate(lines, 1) if ln.startswith("P ") and len(ln) < 40)
    assert f"event 137 (line {bad_line}," in msg, msg
    assert "parsing particle information" in msg
    assert "--skip-bad-events" in msg
    assert err.events_read == 136
    assert [len(b) for b in got] == [50, 50, 36]  # everything good before it is delivered


def test_broken_event_skipped_on_request():
    path = DATA / "bad_event137_v2.hepmc"
    with pytest.warns(UserWarning, match="event 137"):
        stream = read_events([path], skip_bad_events=True)
        batches = list(stream)
    assert sum(len(b) for b in batches) == 149
    numbers = [n for b in batches for n in b.event_numbers.tolist()]
    assert 137 not in numbers and numbers[-1] == 150
    (report,) = stream.reports
    assert report.n_bad_skipped == 1 and report.complete
    assert "event 137" in report.bad_event_messages[0]


def test_lost_particle_line_detected():
    path = DATA / "lost_line_v2.hepmc"
    assert pyhepmc_count(path) == 1  # pyhepmc stops silently, no exception
    err, _ = fail(path)
    assert "event 2 (line 25" in str(err) and "12 particle lines" in str(err)


def _one_vertex_events(tmp_path: Path) -> list[str]:
    """HepMC2 events with a single vertex: p p -> 3 pions."""
    path = tmp_path / "one.hepmc"
    setup = pyhepmc.Setup
    saved = setup.print_warnings
    setup.print_warnings = False
    with pyhepmc.open(path, "w", format="hepmc2") as f:
        for k in range(3):
            evt = pyhepmc.GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
            evt.event_number = k + 1
            beams = [pyhepmc.GenParticle((0, 0, z, 7000), 2212, 4) for z in (7000, -7000)]
            v = pyhepmc.GenVertex()
            for b in beams:
                v.add_particle_in(b)
            for i in range(3):
                v.add_particle_out(pyhepmc.GenParticle((i, 1, 2, 10), 211, 1))
            evt.add_vertex(v)
            evt.weights = [1.0]
            f.write(evt)
    setup.print_warnings = saved
    return path.read_text().split("\n")


@pytest.mark.parametrize("where", ["middle", "end"])
def test_lost_line_silently_accepted_by_pyhepmc_is_detected(tmp_path, where):
    lines = _one_vertex_events(tmp_path)
    p_lines = [i for i, ln in enumerate(lines) if ln.startswith("P ")]
    if where == "middle":  # event 2 loses its last particle line
        del lines[p_lines[9]]
    else:  # the file ends one particle line short
        lines = lines[: p_lines[-1]]
    path = tmp_path / "lost.hepmc"
    path.write_text("\n".join(lines) + "\n")
    assert pyhepmc_count(path) == 3  # pyhepmc delivers the damaged event as if it were whole
    err, _ = fail(path)
    expected = "event 2" if where == "middle" else "inside event 3"
    assert expected in str(err) and re.search(r"\b4 (of 5 )?particle lines", str(err))


def test_junk_line_detected():
    path = DATA / "junk_line_v2.hepmc"
    assert pyhepmc_count(path) == 4  # silently accepted by ReaderAsciiHepMC2
    err, _ = fail(path)
    assert "event 3" in str(err) and "not a HepMC record" in str(err)


def test_nan_momentum():
    err, got = fail(DATA / "nan_v2.hepmc")
    msg = str(err)
    assert "event 2" in msg and "particle 3 (pid 21)" in msg and "px=nan" in msg
    assert err.events_read == 1


def test_weight_count_change():
    err, _ = fail(DATA / "weights_change_v2.hepmc")
    assert "event 3" in str(err) and "2 weights" in str(err)


def test_stray_text_after_listing(tmp_path):
    path = tmp_path / "stray.hepmc"
    path.write_bytes((DATA / "tth_v3.hepmc").read_bytes() + b"some log output\n")
    err, got = fail(path)
    assert "after the END_EVENT_LISTING" in str(err) and sum(len(b) for b in got) == 3


def test_corrupt_gzip(tmp_path, monkeypatch):
    import hepreint.io.split as split

    monkeypatch.setattr(split, "BLOCK_SIZE", 4096)
    data = gzip.compress((DATA / "many_v2.hepmc").read_bytes())
    path = tmp_path / "cut.gz"
    path.write_bytes(data[: len(data) // 2])
    err, got = fail(path)
    assert "gzip" in str(err) and "corrupt or cut" in str(err)
    assert 0 < err.events_read < 150


def test_truncated_zstd(tmp_path):
    data = zstandard.ZstdCompressor().compress((DATA / "many_v2.hepmc").read_bytes())
    path = tmp_path / "cut.zst"
    path.write_bytes(data[: len(data) // 2])
    err, _ = fail(path)
    assert "zstd" in str(err) or "truncated" in str(err)


def test_pyhepmc_chatter_is_silenced(capfd):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        list(read_events([DATA / "bad_event137_v2.hepmc"], skip_bad_events=True))
    out, err = capfd.readouterr()
    assert out == "" and err == ""


_V3_HEADER = "HepMC::Version 3.02.01\nHepMC::Asciiv3-START_EVENT_LISTING\n"
_V3_BODY = (
    "U GEV MM\n{w}"
    "P 1 0 2212 0.0 0.0 6500.0 6500.0 0.938 4\n"
    "P 2 0 2212 0.0 0.0 -6500.0 6500.0 0.938 4\n"
    "V -1 0 [1,2]\n"
    "P 3 -1 22 30.0 40.0 0.0 50.0 0.0 1\n"
    "P 4 -1 22 -30.0 -40.0 0.0 50.0 0.0 1\n"
)


def _v3_file(tmp_path: Path, weight_lines: list[str], names: str | None) -> Path:
    """HepMC3 file of one event per W line (``""``: no W line), with run weight names."""
    text = _V3_HEADER + (f"W {names}\n" if names is not None else "")
    for k, w in enumerate(weight_lines):
        text += f"E {k} 1 4\n" + _V3_BODY.format(w=f"W {w}\n" if w else "")
    path = tmp_path / "w.hepmc"
    path.write_text(text + "HepMC::Asciiv3-END_EVENT_LISTING\n")
    return path


def _line_of(path: Path, prefix: str, nth: int = 0) -> int:
    lines = path.read_text().splitlines()
    return [i for i, ln in enumerate(lines, 1) if ln.startswith(prefix)][nth]


@pytest.mark.parametrize(
    ("value", "shown"), [("nan", "'nan'"), ("inf", "'inf'"), ("-nan", "'-nan'"), ("x1", "'x1'")]
)
def test_non_finite_weight_in_w_line(tmp_path, value, shown):
    """pyhepmc raised a raw RuntimeError (ReaderAscii::parse_weight_values) for this."""
    path = _v3_file(tmp_path, ["1.0 0.9", f"{value} 0.9", "2.0 0.8"], r"Weight\|MUR1_MUF1")
    err, got = fail(path)
    msg = str(err)
    assert f"event 2 (line {_line_of(path, 'W ', 2)}," in msg, msg
    assert f"weight 0 ('Weight') is {shown}, not a finite number" in msg
    assert err.events_read == 1 and sum(len(b) for b in got) == 1
    with pytest.warns(UserWarning, match="event 2"):
        batches = list(read_events([path], skip_bad_events=True))
    assert [b.weights.tolist() for b in batches] == [[[1.0, 0.9], [2.0, 0.8]]]


def test_non_finite_weight_without_weight_names(tmp_path):
    """Without run weight names HepMC3 silently stops at the unreadable value: [1.0]."""
    path = _v3_file(tmp_path, ["1.0 nan"], None)
    err, _ = fail(path)
    assert "weight 1 is 'nan', not a finite number" in str(err)
    assert f"(line {_line_of(path, 'W ')}," in str(err)


@pytest.mark.parametrize("values", ["1.0", "1.0 0.9 0.8"])
def test_weight_count_differs_from_names(tmp_path, values):
    path = _v3_file(tmp_path, ["1.0 0.9", values], r"Weight\|MUR1_MUF1")
    err, _ = fail(path)
    n = len(values.split())
    assert "event 2" in str(err), str(err)
    assert f"W line has {n} weight(s) but the run info names 2 (Weight, MUR1_MUF1)" in str(err)
    with pytest.warns(UserWarning, match="event 2"):
        assert sum(len(b) for b in read_events([path], skip_bad_events=True)) == 1


def test_non_finite_weight_hepmc2(tmp_path):
    text = (DATA / "pythia6_v2.hepmc").read_text()
    path = tmp_path / "nanw_v2.hepmc"
    path.write_text(text.replace("0 2 2.000000e+00 2.500000e-01", "0 2 2.000000e+00 nan", 1))
    err, got = fail(path)
    assert "event 2" in str(err) and "weight 1 is nan, not a finite number" in str(err)
    assert sum(len(b) for b in got) == 1


def test_hepmc2_weight_names_differ_from_weights(tmp_path):
    """A HepMC2 N line with fewer names than weights was a ValueError from EventBatch."""
    text = (DATA / "nan_v2.hepmc").read_text()
    path = tmp_path / "names_v2.hepmc"
    path.write_text(text.replace('N 3 "0" "1" "2"', 'N 2 "0" "1"', 1))
    err, _ = fail(path, max_events=1)
    assert "event 1" in str(err) and "has 3 weight(s) but 2 weight names (0, 1)" in str(err)


def test_exceptions_from_pyhepmc_become_input_errors(monkeypatch):
    import hepreint.io.hepmc as hepmc

    def boom(fmt, header, data):
        raise RuntimeError("ReaderAscii::something: it\nbroke")

    monkeypatch.setattr(hepmc, "_read", boom)
    path = DATA / "tth_v3.hepmc"
    err, _ = fail(path)
    assert f"event 1 (line {_line_of(path, 'E ')}," in str(err)
    assert "pyhepmc cannot parse it (ReaderAscii::something: it broke)" in str(err)
    with pytest.warns(UserWarning):
        assert list(read_events([DATA / "tth_v3.hepmc"], skip_bad_events=True)) == []


def _flush_c_stdio() -> None:
    """Push whatever C stdio still buffers to the (captured) file descriptors."""
    ctypes.CDLL(None).fflush(None)


def _c_stdout_unbuffered() -> None:
    """Make C stdout unbuffered, as ``python -u``/PYTHONUNBUFFERED do (a terminal is line
    buffered: the same), so that a stray printf reaches fd 1 at once, as users see it."""
    libc = ctypes.CDLL(None)
    try:
        stdout = ctypes.c_void_p.in_dll(libc, "stdout")
    except ValueError:
        pytest.skip("no C stdout symbol to unbuffer on this platform")
    libc.setvbuf.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_size_t]
    libc.setvbuf(stdout, None, 2, 0)  # _IONBF


def test_count_mismatch_printf_does_not_reach_stdout(tmp_path, capfd):
    """HepMC3's ReaderAscii printf's "0  vs  1 expected" to stdout (not through its quiet
    switches) for an event of two beams that declares a vertex; nothing may reach fd 1."""
    path = tmp_path / "beams.hepmc"
    events = "".join(
        f"E {k} {k % 2} 2\nU GEV MM\n"
        "P 1 0 2212 0.0 0.0 6500.0 6500.0 0.938 4\n"
        "P 2 0 2212 0.0 0.0 -6500.0 6500.0 0.938 4\n"
        for k in range(4)
    )
    path.write_text(_V3_HEADER + events + "HepMC::Asciiv3-END_EVENT_LISTING\n")
    _c_stdout_unbuffered()
    print("before", flush=True)
    with pytest.warns(UserWarning, match="too few vertices were parsed") as caught:
        batches = list(read_events([path], skip_bad_events=True))
    assert [b.event_numbers.tolist() for b in batches] == [[0, 2]]
    print("after", flush=True)
    _flush_c_stdio()
    out, err_text = capfd.readouterr()
    assert out == "before\nafter\n" and err_text == ""
    assert "0 vs 1 expected by the E line" in str(caught[0].message)
    err, _ = fail(path)
    assert "event 2 (line 7," in str(err)  # the E line that declares the vertex
    _flush_c_stdio()
    assert capfd.readouterr() == ("", "")
