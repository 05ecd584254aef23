"""Les Houches Event files: recognised by content, checked line by line before Pythia reads them.

Pythia's LHEF reader reports a damaged file on stdout, without a line, and may shower a cut
event as if it were whole; so every file is first read here, once, streaming, and the first
problem is an :class:`~hepreint.errors.InputError` naming the file and line. The layout checked
is the Les Houches Accord's (``HEPRUP``/``HEPEUP`` common blocks, hep-ph/0109068) in the LHEF
file format (hep-ph/0609017): an ``<init>`` block whose first line holds IDBMUP(2) EBMUP(2)
PDFGUP(2) PDFSUP(2) IDWTUP NPRUP and then NPRUP lines XSECUP XERRUP XMAXUP LPRUP; each
``<event>`` block a line NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP and NUP particle lines IDUP
ISTUP MOTHUP(2) ICOLUP(2) PUP(5) VTIMUP SPINUP, then optional lines (``<rwgt>``, comments).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from hepreint.errors import InputError
from hepreint.io.detect import open_decompressed, sniff_compression

MAGIC = b"<LesHouchesEvents"
_EVENT_HEAD = "NUP IDPRUP XWGTUP SCALUP AQEDUP AQCDUP"
_PARTICLE = "IDUP ISTUP MOTHUP1 MOTHUP2 ICOLUP1 ICOLUP2 PX PY PZ E M VTIMUP SPINUP"
_INIT_HEAD = "IDBMUP1 IDBMUP2 EBMUP1 EBMUP2 PDFGUP1 PDFGUP2 PDFSUP1 PDFSUP2 IDWTUP NPRUP"
_PROCESS = "XSECUP XERRUP XMAXUP LPRUP"


@dataclass
class LHEInfo:
    """What the header and a full pass over the events say."""

    path: str
    compression: str
    beams: tuple[int, int] = (0, 0)
    energies_gev: tuple[float, float] = (0.0, 0.0)
    idwtup: int = 0
    #: per process (LPRUP): cross-section and its error in pb, from the <init> block
    processes: list[tuple[int, float, float]] = field(default_factory=list)
    n_events: int = 0
    #: lines of the file that are worth a warning (e.g. no closing tag after the last event)
    warnings: list[str] = field(default_factory=list)

    @property
    def xsec_pb(self) -> tuple[float, float] | None:
        """Σ XSECUP and its error added in quadrature, or None when the header states none."""
        if not self.processes or all(x <= 0 for _, x, _ in self.processes):
            return None
        total = sum(x for _, x, _ in self.processes)
        return total, math.sqrt(sum(e * e for _, _, e in self.processes))


def is_lhe(path: str | Path) -> bool:
    """True when the (decompressed) start of ``path`` is an LHE file; False on any doubt."""
    p = Path(path)
    if not p.is_file():  # a pipe would block here; the reader refuses it with its reason
        return False
    try:
        with open_decompressed(p, sniff_compression(p)) as f:
            head = f.read(4096)
    except (OSError, EOFError, ValueError):
        return False
    return MAGIC in head and b"HepMC::" not in head


def _tag(line: str, name: str) -> bool:
    """``line`` opens the tag ``name`` (``<init>``, ``<event attr=...>``; not ``<initrwgt>``)."""
    return re.match(rf"<{name}(\s|>|$)", line) is not None


def _numbers(words: list[str], names: str, where: str) -> list[float]:
    want = names.split()
    if len(words) != len(want):
        raise InputError(
            f"{where}: {len(words)} numbers where the LHE format has {len(want)} ({names}); "
            "the file is damaged or not LHE: regenerate it"
        )
    out = []
    for w, name in zip(words, want, strict=True):
        try:
            v = float(w.replace("d", "e").replace("D", "E"))  # Fortran writers use 1.0d0
        except ValueError:
            v = math.nan
        if not math.isfinite(v):
            raise InputError(
                f"{where}: {name} is {w!r}, not a finite number; the file is damaged: regenerate it"
            )
        out.append(v)
    return out


def check_lhe(path: str | Path) -> LHEInfo:
    """Read ``path`` once and return its header numbers and event count, or raise InputError
    at the first line that breaks the LHE layout (the message names the file and line)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found; check the path")
    info = LHEInfo(str(p), sniff_compression(p))
    state, need, nup, event_line, nline = "out", 0, 0, 0, 0
    closed = seen_init = False
    with open_decompressed(p, info.compression) as f:
        for nline, raw in enumerate(f, start=1):  # noqa: B007 (used after the loop)
            line = raw.decode("utf-8", errors="replace").strip()
            where = f"{p}:{nline}"
            if state == "header":  # cards and comments, whatever they hold
                state = "out" if line.startswith("</header") else state
                continue
            if state == "out":
                if _tag(line, "header"):
                    state = "header"
                elif _tag(line, "init"):
                    state, need = "init", -1
                elif _tag(line, "event"):
                    if not seen_init:
                        raise InputError(f"{where}: <event> before the <init> block; not LHE")
                    state, need, event_line = "event", -1, nline
                elif line.startswith("</LesHouchesEvents"):
                    closed = True
                continue
            if not line or line.startswith("#"):
                continue
            if state == "init":
                if line.startswith("</init"):
                    if need != 0:
                        raise InputError(f"{where}: <init> ends before its process lines")
                    state, seen_init = "out", True
                elif need == -1:
                    v = _numbers(line.split(), _INIT_HEAD, where)
                    info.beams = (int(v[0]), int(v[1]))
                    info.energies_gev = (v[2], v[3])
                    info.idwtup, need = int(v[8]), int(v[9])
                elif need > 0:
                    v = _numbers(line.split(), _PROCESS, where)
                    info.processes.append((int(v[3]), v[0], v[1]))
                    need -= 1
                continue  # (other tags a generator adds to <init> are allowed)
            if _tag(line, "event") or line.startswith("</LesHouchesEvents"):
                raise InputError(
                    f"{p}:{event_line}: event {info.n_events + 1} has no </event> (it was cut "
                    "off); the file is damaged: regenerate it or cut it before this event"
                )
            if line.startswith("</event"):
                if need != 0:
                    short = "its first line" if need < 0 else f"{need} particle line(s)"
                    raise InputError(f"{where}: event {info.n_events + 1} ends without {short}")
                state = "out"
                info.n_events += 1
            elif need == -1:
                need = nup = int(_numbers(line.split(), _EVENT_HEAD, where)[0])
            elif need > 0:
                if line.startswith("<"):
                    raise InputError(
                        f"{where}: event {info.n_events + 1} has {nup - need} particle line(s) "
                        f"but its first line says NUP = {nup}; the file is damaged: regenerate it"
                    )
                _numbers(line.split(), _PARTICLE, where)
                need -= 1
            # other lines after the particles (<rwgt>, <scales>, text) are the generator's
    if state == "init":
        raise InputError(f"{p}: the file ends inside its <init> block (line {nline})")
    if not seen_init:
        raise InputError(f"{p}: no <init> block: not a complete LHE file")
    if state != "out":
        raise InputError(
            f"{p}:{event_line}: the file ends inside event {info.n_events + 1} (line {nline}); "
            "it was cut off: regenerate it, or drop the last event"
        )
    if not closed:
        info.warnings.append(f"{p}: no </LesHouchesEvents> after the last event (cut off?)")
    if info.n_events == 0:
        raise InputError(f"{p}: an LHE file without events")
    return info
