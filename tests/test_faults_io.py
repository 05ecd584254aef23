"""Fuzz corpus for the readers: broken files made at test time from the shipped inputs.

Every case is read with both readers (fast and pyhepmc), with and without
``skip_bad_events``. A reader either accepts the file or delivers the good events before the
damage and raises :class:`InputError` whose first line names the file and a place; never
another exception. Both readers agree (same events, bit for bit), except that the fast reader
also refuses particle/vertex lines that pyhepmc misreads silently (its message says so).
With ``skip_bad_events`` every event the plain read delivered is delivered again, and where a
case breaks exactly one event of N, the N - 1 others are.
"""

from __future__ import annotations

import bz2
import gzip
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import hepreint
from hepreint.errors import InputError

pytestmark = pytest.mark.filterwarnings("ignore::hepreint.io.sequence.SkippedBadEvent")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ttH_pruned.hepmc3.gz"
DATA = ROOT / "tests" / "data" / "io"
V3_FOOTER = b"HepMC::Asciiv3-END_EVENT_LISTING\n"
V2_FOOTER = b"HepMC::IO_GenEvent-END_EVENT_LISTING\n"
#: a place in a message: event ordinal, line or byte offset
PLACE = re.compile(r"\b(event \d+|line \d+|byte \d+)")
#: file-level refusals (nothing to point at inside the file)
FILE_LEVEL = re.compile(
    r"empty \(0 bytes\)|directory|not a regular file|not a HepMC|only whitespace|no events|"
    r"HepMC header without|stream is corrupt|ROOT file"
)
#: the fast reader refuses these where pyhepmc reads on silently
FAST_STRICTER = re.compile(r"pyhepmc would|single-space-separated|vertex line is malformed")


@cache
def example_text() -> bytes:
    return gzip.decompress(EXAMPLE.read_bytes())


def head_events(text: bytes, n: int) -> tuple[bytes, list[bytes], bytes]:
    """(header, first ``n`` events, footer) of a HepMC text."""
    starts = [m.start() + 1 for m in re.finditer(rb"\nE ", text)]
    end = text.rfind(b"\nHepMC::") + 1
    bounds = [*starts, end]
    events = [text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)][:n]
    return text[: starts[0]], events, text[end:]


@cache
def small_v3() -> tuple[bytes, tuple[bytes, ...], bytes]:
    """The example's first 5 events (a few hundred particles each: fast to read twice)."""
    header, events, footer = head_events(example_text(), 5)
    return header, tuple(events), footer


def join(header: bytes, events: list[bytes] | tuple[bytes, ...], footer: bytes) -> bytes:
    return header + b"".join(events) + footer


def lines_of(event: bytes) -> list[bytes]:
    return event.splitlines(keepends=True)


def edit_line(text: bytes, prefix: bytes, nth: int, change: Callable[[bytes], bytes]) -> bytes:
    """``text`` with its ``nth`` line starting with ``prefix`` changed."""
    out = lines_of(text)
    rows = [i for i, ln in enumerate(out) if ln.startswith(prefix)]
    out[rows[nth]] = change(out[rows[nth]])
    return b"".join(out)


def field(k: int, value: bytes) -> Callable[[bytes], bytes]:
    def change(line: bytes) -> bytes:
        f = line.rstrip(b"\n").split(b" ")
        f[k] = value
        return b" ".join(f) + b"\n"

    return change


def empty_event(like: bytes) -> bytes:
    """An event without particles, with the E/U/W/A lines of ``like``, numbered 77."""
    head = [ln for ln in lines_of(like)[1:] if ln[:1] in b"UWA"]
    return b"".join([b"E 77 0 0\n", *head])


def final_state(event: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """``event`` with its first final-state (status 1) particle line changed."""
    out = lines_of(event)
    k = next(i for i, ln in enumerate(out) if ln.startswith(b"P ") and ln.endswith(b" 1\n"))
    out[k] = change(out[k])
    return b"".join(out)


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[Path], Path]
    #: events the file holds that are good (a case breaking one event of N: N - 1); None: any
    n_good: int | None = None
    slow: bool = False


def write(name: str, data: bytes, *, compress: Callable[[bytes], bytes] | None = None) -> Callable:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(compress(data) if compress else data)
        return path

    return make


def one_event(k: int, change: Callable[[bytes], bytes], name: str) -> Case:
    """Event ``k`` of the small example changed; the 4 others stay good."""
    header, events, footer = small_v3()
    changed = list(events)
    changed[k] = change(events[k])
    return Case(name, write(f"{name}.hepmc3", join(header, changed, footer)), n_good=4)


def _truncations() -> Iterator[Case]:
    header, events, footer = small_v3()
    text = join(header, events, footer)
    for at in (5, len(header) // 2, len(header) - 1):
        yield Case(f"cut-header-{at}", write(f"cut{at}.hepmc3", text[:at]))
    start = len(header) + len(events[0]) + len(events[1])  # inside event 3
    size = len(events[2])
    for k in range(1, 10):
        at = start + size * k // 10
        yield Case(f"cut-event3-{k}", write(f"cut{at}.hepmc3", text[:at]))
    packed = gzip.compress(text)
    for frac in (0.02, 0.3, 0.6, 0.97):
        at = int(len(packed) * frac)
        yield Case(f"cut-gzip-{frac}", write(f"cut{at}.hepmc3.gz", packed[:at]))
    packed = bz2.compress(text)
    yield Case("cut-bzip2", write("cut.hepmc3.bz2", packed[: len(packed) // 2]))
    full = EXAMPLE.read_bytes()
    for frac in (0.1, 0.25, 0.5, 0.75, 0.9, 0.999):
        at = int(len(full) * frac)
        yield Case(f"cut-example-gz-{frac}", write(f"ex{at}.hepmc3.gz", full[:at]), slow=True)


def _damaged_bytes() -> Iterator[Case]:
    header, events, footer = small_v3()
    text = join(header, events, footer)
    for frac in (0.01, 0.2, 0.35, 0.5, 0.65, 0.8, 0.99):
        at = int(len(text) * frac)
        flipped = text[:at] + bytes([text[at] ^ 0x41]) + text[at + 1 :]
        yield Case(f"flip-{frac}", write(f"flip{at}.hepmc3", flipped))
    for frac in (0.3, 0.7):
        at = text.find(b"\n", int(len(text) * frac)) + 1
        garbage = text[:at] + b"\x00\xff\xfe garbage \x80\n" + text[at:]
        yield Case(f"garbage-line-{frac}", write(f"garbage{at}.hepmc3", garbage))
    yield Case("garbage-line-header", write("gh.hepmc3", header + b"zzz\n" + text[len(header) :]))


def _event_damage() -> Iterator[Case]:
    p3, dup = 3, lambda ev: ev  # noqa: E731
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, lambda ln: ln[:-1] + b" 7\n"), "p-extra")
    short = lambda ln: ln.rsplit(b" ", 1)[0] + b"\n"  # noqa: E731
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, short), "p-short")
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, lambda ln: b"12 3 4 5\n"), "no-letter")
    for k, value in [(4, b"nan"), (5, b"inf"), (6, b"-inf"), (7, b"1e400"), (4, b"1e308")]:
        name = f"p{k}-{value.decode()}"
        yield one_event(2, lambda ev, k=k, v=value: edit_line(ev, b"P ", p3, field(k, v)), name)
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, field(7, b"-5.0")), "negative-e")
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, field(4, b"1.5x")), "p-letters")
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, field(3, b"9999999999")), "pid-huge")
    for name, value in [("e-more", b"999"), ("e-less", b"2"), ("e-word", b"many")]:
        yield one_event(2, lambda ev, v=value: edit_line(ev, b"E ", 0, field(3, v)), name)
    for name, value in [("num-huge", str(2**64).encode()), ("num-float", b"3.5")]:
        yield one_event(2, lambda ev, v=value: edit_line(ev, b"E ", 0, field(1, v)), name)
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, lambda ln: b"X" + ln[1:]), "letter-x")
    yield one_event(2, lambda ev: edit_line(ev, b"P ", p3, lambda ln: b"p" + ln[1:]), "letter-p")
    yield one_event(2, lambda ev: edit_line(ev, b"V ", 0, lambda ln: b"V -1 0 [1,99999]\n"),
                    "v-missing")  # fmt: skip
    yield one_event(2, lambda ev: edit_line(ev, b"V ", 0, lambda ln: b"V -1 0 [1,\n"), "v-cut")
    yield one_event(2, lambda ev: ev.replace(b"\n", b"\r\n"), "crlf-one")
    header, events, footer = small_v3()
    yield Case("duplicate", write("dup.hepmc3", join(header, [*events[:3], events[2]], footer)),
               n_good=3)  # fmt: skip
    yield Case("renumbered", write("renum.hepmc3", join(header, [*events, *events], footer)))
    yield Case("empty-event", write("empty_ev.hepmc3", join(header, [events[0],
               empty_event(events[0]), events[1]], footer)))  # fmt: skip
    yield Case("unknown-pid", write("pid.hepmc3", join(header, [edit_line(events[0], b"P ", 4,
               field(3, b"9999999")), events[1]], footer)))  # fmt: skip
    del dup


def _files() -> Iterator[Case]:
    header, events, footer = small_v3()
    text = join(header, events, footer)
    yield Case("crlf", write("crlf.hepmc3", text.replace(b"\n", b"\r\n")))
    yield Case("utf16", write("u16.hepmc3", text.decode().encode("utf-16")))
    yield Case("empty-gzip", write("e.hepmc3.gz", b"", compress=gzip.compress))
    yield Case("zero-length", write("zero.hepmc3", b""))
    yield Case("lhe", write("x.hepmc", b'<LesHouchesEvents version="3.0">\n<event>\n'))
    yield Case("csv", write("x.csv", b"px,py,pz,E\n1,2,3,4\n"))
    yield Case("root", write("x.root", b"root\x00\x00\xf4\x4b" + bytes(200)))
    yield Case("concat-v3", write("cat.hepmc3", text + text))
    v2 = (DATA / "tth_v2.hepmc").read_bytes()
    yield Case("concat-v3-v2", write("cat32.hepmc", text + v2))
    yield Case("concat-v2-v2", write("cat22.hepmc", v2 + v2))
    yield Case("v2-no-u", write("nou.hepmc", b"".join(ln for ln in lines_of(v2)
               if not ln.startswith(b"U "))))  # fmt: skip
    yield Case("v2-crlf", write("crlf2.hepmc", v2.replace(b"\n", b"\r\n")))
    yield Case("gzip-of-v2", write("v2.hepmc.gz", v2, compress=gzip.compress))
    yield Case("footer-missing", write("nofoot.hepmc3", join(header, events, b"")))
    for path in sorted(DATA.glob("*.hepmc")):
        yield Case(f"data-{path.stem}", lambda tmp, p=path: p)


def _special(kind: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        if kind == "dir":
            (tmp / "d").mkdir()
            return tmp / "d"
        if kind == "fifo":
            os.mkfifo(tmp / "fifo")
            return tmp / "fifo"
        return Path("/dev/zero")

    return make


CASES = [
    *_truncations(), *_damaged_bytes(), *_event_damage(), *_files(),
    Case("directory", _special("dir")), Case("fifo", _special("fifo")),
    Case("dev-zero", _special("zero")),
]  # fmt: skip


@dataclass
class Outcome:
    numbers: list[int]
    columns: dict[str, np.ndarray]
    error: str | None
    events_read: int
    warnings: list[str]
    skipped: list[str]


def read(path: Path, reader: str, skip: bool) -> Outcome:
    """Read ``path`` with a time bound; any exception but InputError fails the test."""

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"{path}: reading did not end within 60 s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(60)
    batches = []
    error = None
    stream = None
    try:
        stream = hepreint.read_events([path], reader=reader, skip_bad_events=skip, batch_size=2)
        for batch in stream:
            batches.append(batch)
    except InputError as exc:
        error = str(exc)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    numbers = [n for b in batches for n in b.event_numbers.tolist()]
    columns = {}
    if batches:
        import awkward as ak

        for name in ("px", "py", "pz", "E", "m", "pid", "status", "parent"):
            columns[name] = np.concatenate(
                [ak.to_numpy(ak.flatten(getattr(b.particles, name))) for b in batches]
            )
        columns["weights"] = np.concatenate([b.weights.ravel() for b in batches])
    reports = stream.reports if stream else []
    warnings = [w for r in reports for w in r.warnings]
    skipped = [m for r in reports for m in r.bad_event_messages]
    return Outcome(numbers, columns, error, len(numbers), warnings, skipped)


def check_message(path: Path, out: Outcome) -> None:
    assert out.error is not None
    first = out.error.splitlines()[0]
    assert str(path) in first, first
    assert PLACE.search(first) or (out.events_read == 0 and FILE_LEVEL.search(first)), first


def same_events(a: Outcome, b: Outcome) -> None:
    assert a.numbers == b.numbers
    assert a.columns.keys() == b.columns.keys()
    for name, column in a.columns.items():
        np.testing.assert_array_equal(column, b.columns[name], err_msg=name)


def check_case(path: Path, n_good: int | None) -> dict[str, Outcome]:
    outs = {(r, s): read(path, r, s) for r in ("fast", "pyhepmc") for s in (False, True)}
    for out in outs.values():
        if out.error is not None:
            check_message(path, out)
    for skip in (False, True):
        fast, slow = outs["fast", skip], outs["pyhepmc", skip]
        if (fast.error is None) != (slow.error is None):
            # the fast reader is stricter on damaged P/V lines, and says so
            assert fast.error is not None and FAST_STRICTER.search(fast.error), (fast, slow)
            assert fast.numbers == slow.numbers[: len(fast.numbers)]
            continue
        if any(FAST_STRICTER.search(m) for m in [fast.error or "", *fast.skipped]):
            assert set(fast.numbers) <= set(slow.numbers)
            continue
        same_events(fast, slow)
        assert fast.warnings == slow.warnings
    for reader in ("fast", "pyhepmc"):
        plain, skipping = outs[reader, False], outs[reader, True]
        assert plain.numbers == skipping.numbers[: len(plain.numbers)]  # nothing good lost
        if n_good is not None:
            assert len(skipping.numbers) >= n_good, (reader, skipping)
    return {f"{r}{'+skip' if s else ''}": o for (r, s), o in outs.items()}


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.name, marks=[pytest.mark.slow] if c.slow else []) for c in CASES]
)
def test_fault(case: Case, tmp_path: Path) -> None:
    check_case(case.make(tmp_path), case.n_good)


def test_corpus_size() -> None:
    assert len(CASES) >= 60


# -- decisions (see hepreint/io/vet.py) -------------------------------------------------------


def test_decisions(tmp_path: Path) -> None:
    header, events, footer = small_v3()
    cases = {
        "negative energy": one_event(1, lambda ev: edit_line(ev, b"P ", 3, field(7, b"-5.0")), "n"),
        "space-like": one_event(1, lambda ev: final_state(ev, field(4, b"1000.0")), "s"),
        "exact copy": Case("d", write("d.hepmc3", join(header, [events[0], *events[:2]], footer))),
        "not an integer": one_event(1, lambda ev: edit_line(ev, b"E ", 0, field(1, b"x")), "x"),
        "64-bit": one_event(1, lambda ev: edit_line(ev, b"E ", 0, field(1, b"9" * 20)), "b"),
    }
    for words, case in cases.items():
        path = case.make(tmp_path)
        outs = check_case(path, None)
        for name, out in outs.items():
            if name.endswith("skip"):
                assert out.error is None and out.events_read in (2, 4), (name, out)
            else:
                assert out.error is not None and words in out.error, (name, out.error)
                assert "event 2 (line" in out.error and out.events_read == 1
    kept = {
        "has no particles": [events[0], empty_event(events[0]), events[1]],
        "not a PDG": [edit_line(events[0], b"P ", 4, field(3, b"9999999")), events[1]],
        "not above the previous": [events[0], events[1], events[0]],
    }
    for words, evs in kept.items():
        path = tmp_path / "kept.hepmc3"
        path.write_bytes(join(header, evs, footer))
        for name, out in check_case(path, None).items():
            assert out.error is None and len(out.numbers) == len(evs), name
            assert any(words in w for w in out.warnings), (name, out.warnings)
            assert all(w.startswith(f"{path}: event ") for w in out.warnings)


def test_nan_reported_at_its_p_line(tmp_path: Path) -> None:
    case = one_event(2, lambda ev: edit_line(ev, b"P ", 5, field(5, b"nan")), "nan")
    path = case.make(tmp_path)
    rows = [i for i, ln in enumerate(path.read_bytes().splitlines(), 1) if ln.startswith(b"P ")]
    header, events, _ = small_v3()
    before = sum(ev.count(b"\nP ") + ev.startswith(b"P ") for ev in events[:2])
    line = rows[before + 5]
    for name, out in check_case(path, 4).items():
        if not name.endswith("skip"):
            assert f"(line {line}," in out.error, (name, out.error)


def test_skipped_events_reach_the_user_through_the_report(tmp_path: Path) -> None:
    path = one_event(2, lambda ev: edit_line(ev, b"P ", 3, field(4, b"nan")), "w").make(tmp_path)
    code = (
        "import sys, hepreint; s = hepreint.read_events([sys.argv[1]], skip_bad_events=True); "
        "print(sum(len(b) for b in s)); print(s.reports[0].bad_event_messages[0])"
    )
    p = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert p.returncode == 0 and p.stderr == "", p.stderr  # no raw Python warning
    n, message = p.stdout.splitlines()
    assert n == "4" and "event 3 (line" in message
    assert message.endswith("skipped; 1 so far") and "--skip-bad-events" not in message


def test_shares_agree_with_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hepreint.io.shares as shares

    monkeypatch.setattr(shares, "MIN_SHARE_BYTES", 1)
    header, events, footer = small_v3()
    nan = edit_line(events[3], b"P ", 2, field(4, b"nan"))
    path = tmp_path / "s.hepmc3"
    path.write_bytes(join(header, [*events[:3], events[2], events[0], nan, events[4]], footer))
    serial = hepreint.read_events([path], skip_bad_events=True, reader="fast")
    numbers = [n for b in serial for n in b.event_numbers.tolist()]
    got, reports = [], []
    plan = shares.plan_shares([path], 4)
    assert len(plan) > 2
    for share in plan:
        stream = shares.read_share(share, batch_size=10, skip_bad_events=True)
        got += [n for b in stream for n in b.event_numbers.tolist()]
        reports += stream.reports
    (merged,) = shares.merge_reports(reports)
    assert got == numbers

    def unnumbered(messages: list[str]) -> list[str]:  # (a share counts its own skips)
        return [re.sub(r"\d+ so far$", "", m) for m in messages]

    assert unnumbered(merged.bad_event_messages) == unnumbered(serial.reports[0].bad_event_messages)
    assert merged.warnings == serial.reports[0].warnings and len(merged.warnings) == 1


# -- the CLI ----------------------------------------------------------------------------------


def cli(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "hepreint", "run", str(ROOT / "analyses" / "ttHbb"), str(path)]
    return subprocess.run([*args, "-q", "-o", str(out)], capture_output=True, text=True,
                          timeout=600)  # fmt: skip


def assert_cli_error(p: subprocess.CompletedProcess[str]) -> None:
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "Traceback" not in p.stderr
    for line in p.stderr.splitlines():
        assert line.startswith(("hepreint: error:", "hepreint: warning:")), line


@pytest.mark.parametrize(
    "name",
    ["cut-event3-5", pytest.param("p4-nan", marks=pytest.mark.slow),
     pytest.param("utf16", marks=pytest.mark.slow), pytest.param("fifo", marks=pytest.mark.slow)],
)  # fmt: skip
def test_cli(name: str, tmp_path: Path) -> None:
    (case,) = [c for c in CASES if c.name == name]
    path = case.make(tmp_path)
    out = tmp_path / "out"
    assert_cli_error(cli(path, out))
    results = out / "results.json"
    if name in ("cut-event3-5", "p4-nan"):
        import json

        doc = json.loads(results.read_text())
        assert doc["status"] == "partial" and doc["normalisation"]["n_events"] == 2


# -- property tests of the HepMC3 line parser --------------------------------------------------

_INT_TOKENS = ["1", "2", "-1", "0", "22", "+3", "-22", "1e3", "1.5", "x", "", "99999999999"]
_FLOAT_TOKENS = ["0.0", "1.5", "-2.25e1", "1e3", ".5", "5.", "nan", "inf", "1e400", "0x10",
                 "1.2.3", "+7", "-0", "abc", "", "3e", "1e-400"]  # fmt: skip


def _p_line(draw: st.DrawFn) -> str:
    ints = st.sampled_from(_INT_TOKENS)
    floats = st.sampled_from(_FLOAT_TOKENS)
    fields = [draw(ints), draw(ints), draw(ints)] + [draw(floats) for _ in range(5)]
    fields.append(draw(ints))
    extra = draw(st.sampled_from([[], ["7"], ["x"]]))
    cut = draw(st.integers(min_value=7, max_value=9))
    sep = draw(st.sampled_from([" ", " ", " ", "  "]))
    return "P 3 " + sep.join(fields[1:cut] + extra)


@st.composite
def events_text(draw: st.DrawFn) -> bytes:
    beams = "P 1 0 2212 0.0 0.0 6500.0 6500.0 0.938 4\nP 2 0 2212 0.0 0.0 -6500.0 6500.0 0.938 4\n"
    v = draw(
        st.sampled_from(
            [
                "V -1 0 [1,2]",
                "V -1 0 [1,2] @ 0 0 0 0",
                "V -1 0 [1,x]",
                "V -2 0 [1,2]",
                "V -1 0 [2,1]",
                "V -1 0 []",
                "V 1 0 [1,2]",
            ]
        )
    )
    p3 = _p_line(draw)
    body = f"{beams}{v}\n{p3}\nP 4 -1 22 -30.0 -40.0 0.0 50.0 0.0 1\n"
    good = f"{beams}V -1 0 [1,2]\nP 3 -1 22 30.0 40.0 0.0 50.0 0.0 1\n" \
           "P 4 -1 22 -30.0 -40.0 0.0 50.0 0.0 1\n"  # fmt: skip
    text = "HepMC::Version 3.02.01\nHepMC::Asciiv3-START_EVENT_LISTING\n"
    for k, b in enumerate([good, body, good]):
        text += f"E {k + 1} 1 4\nU GEV MM\n{b}"
    return (text + "HepMC::Asciiv3-END_EVENT_LISTING\n").encode()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(events_text())
def test_line_parser_readers_agree(tmp_path: Path, text: bytes) -> None:
    path = tmp_path / "h.hepmc3"
    path.write_bytes(text)
    fast, slow = read(path, "fast", False), read(path, "pyhepmc", False)
    for out in (fast, slow):
        if out.error is not None:
            check_message(path, out)
            assert out.numbers == [1]
    if fast.error is None and slow.error is None:
        same_events(fast, slow)
    elif (fast.error is None) != (slow.error is None):
        assert fast.error is not None and FAST_STRICTER.search(fast.error), (fast.error, slow)
