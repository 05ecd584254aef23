"""Where a HepMC file can be cut: the offsets of its ``E`` lines, found without parsing.

The planner (:mod:`.shares`) needs two things from a file, both cheap next to reading it:

* a cut near a byte position of an uncompressed file (:func:`next_event_at`): one seek and
  a read of a block or two;
* with ``--skip``/``--max-events``, the offsets of the first ``n`` events
  (:func:`event_offsets`): one pass over the (decompressed) text up to the ``n``-th event,
  with numpy over 8 MiB blocks (~1 GB/s for plain files; for compressed files the
  decompression dominates: gzip ~300 MB/s of text).

Both define an event exactly as the splitter does (:mod:`.split`): it starts at each
``\\nE `` of the decompressed stream, so a share's cut is always a place where the serial
split cuts too.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import zstandard

from hepreint.errors import InputError
from hepreint.io.detect import FileInfo, open_decompressed

_EVENT_START = b"\nE "
#: bytes read per step when looking for the next event after a byte position
SEARCH_BLOCK = 1 << 16
#: bytes read per step when counting events
COUNT_BLOCK = 8 << 20


def next_event_at(path: str | Path, pos: int, end: int | None) -> int | None:
    """Offset of the first ``E`` line at or after ``pos`` (and before ``end``), or None.

    Reads from ``pos - 1`` in growing blocks: an event larger than a block costs a few more
    reads, never the rest of the file (the search stops at ``end``).
    """
    with Path(path).open("rb") as f:
        at = max(0, pos - 1)  # file offset of buf[0]
        f.seek(at)
        buf = f.read(SEARCH_BLOCK)
        size = SEARCH_BLOCK
        while True:
            j = buf.find(_EVENT_START)
            if j >= 0:
                found = at + j + 1
                return found if end is None or found < end else None
            if end is not None and at + len(buf) > end + 2:
                return None
            more = f.read(size)
            if not more:
                return None
            keep = min(2, len(buf))
            at += len(buf) - keep
            buf = buf[len(buf) - keep :] + more
            size = min(size * 2, COUNT_BLOCK)


def event_before(path: str | Path, start: int) -> bytes | None:
    """The text of the event that ends at ``start`` (an E line of an uncompressed file), as
    the splitter would give it (without a listing trailer), or None at the first event.

    Reads backwards in growing blocks until the previous ``\nE ``: about one event."""
    with Path(path).open("rb") as f:
        lo, size, buf = start, SEARCH_BLOCK, b""
        while lo > 0:
            step = min(size, lo)
            lo -= step
            f.seek(lo)
            buf = f.read(step) + buf
            j = buf.rfind(_EVENT_START, 0, len(buf) - 1)
            if j >= 0 or (lo == 0 and buf.startswith(b"E ")):
                text = buf[j + 1 :] if j >= 0 else buf
                trailer = text.find(b"\nHepMC::")
                return text if trailer < 0 else text[: trailer + 1]
            size = min(size * 2, COUNT_BLOCK)
    return None


def event_offsets(info: FileInfo, upto: int) -> np.ndarray:
    """Decompressed offsets (int64) of the file's first ``upto`` events (fewer if it has
    fewer): the events are counted, not parsed, and reading stops at the ``upto``-th."""
    found: list[np.ndarray] = []
    n = 0
    base = 0  # file offset of ``tail[0]``
    tail = b""
    try:
        with open_decompressed(Path(info.path), info.compression) as f:
            while n < upto:
                block = f.read(COUNT_BLOCK)
                if not block:
                    break
                data = np.frombuffer(tail + block, dtype=np.uint8)
                nl = np.flatnonzero(data[:-2] == 10)
                hits = nl[(data[nl + 1] == ord("E")) & (data[nl + 2] == ord(" "))] + 1 + base
                found.append(hits[: upto - n])
                n += len(found[-1])
                keep = min(2, len(data))
                tail = bytes(data[len(data) - keep :])
                base += len(data) - keep
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        raise InputError(
            f"{info.path}: {info.compression} stream is corrupt or cut while counting events "
            f"for --skip/--max-events ({exc}); re-copy the file"
        ) from exc
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
