"""Sniff format and compression of an event file from its content, never from its name.

File names lie (``events.hepmc`` that is gzipped, ``.hepmc3`` that holds IO_GenEvent, a
``.hepmc`` that is really an LHE file); magic bytes do not. Every failure here is a file-level
:class:`~hepreint.errors.InputError` because nothing can be read from such a file.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import os
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import zstandard

from hepreint.errors import InputError

#: how many decompressed bytes the format sniffer looks at
SNIFF_BYTES = 4096
#: decompressed bytes hashed into a file's identity (run info and the first events: two Pythia
#: runs with different seeds differ there, a .gz and its plain copy agree)
IDENTITY_BYTES = 1 << 20

HEPMC3 = "hepmc3"
HEPMC2 = "hepmc2"
#: Delphes ROOT output (:mod:`hepreint.io.delphes`): objects already reconstructed
DELPHES = "delphes"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)

#: things people pass by mistake, with the advice to give them
_FOREIGN: tuple[tuple[bytes, str], ...] = (
    (
        b"<LesHouchesEvents",
        "an LHE file (parton level); 'hepreint run' showers LHE files "
        "with Pythia 8 itself, or use 'hepreint generate --lhe FILE -o FILE.hepmc3'",
    ),
    (b"root", "a compressed ROOT file; decompress it (Delphes ROOT files are read as written)"),
    (b"\xfd7zXZ", "xz-compressed; recompress it with gzip or zstd, or decompress it"),
    (b"PK\x03\x04", "a zip archive; unpack it first"),
    (b"\xff\xfe", "UTF-16 text; convert it with iconv -f UTF-16 -t UTF-8"),
    (b"\xfe\xff", "UTF-16 text; convert it with iconv -f UTF-16 -t UTF-8"),
)


@dataclass(frozen=True)
class FileInfo:
    """What the runner records about an input before reading it."""

    path: str
    size_bytes: int
    compression: str  # "none", "gzip", "bzip2" or "zstd"
    format: str  # "hepmc3", "hepmc2" or "delphes"
    header: bytes  # the text before the first event (run info for HepMC3)
    #: 63-bit identity of the content (:func:`file_identity`); random draws are keyed on it
    identity: int = 0
    #: entries of the Delphes tree (``format == "delphes"``; None for HepMC text)
    entries: int | None = None


def _check_exists(path: Path) -> int:
    if not path.exists():
        raise InputError(
            f"{path}: file not found (working directory {os.getcwd()}); check the path"
        )
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not an event file; pass the files inside it")
    if not path.is_file():
        raise InputError(
            f"{path}: is not a regular file (a pipe, socket or device); it is read more than "
            "once (format check, then events): write the events to a file first"
        )
    size = path.stat().st_size
    if size == 0:
        raise InputError(
            f"{path}: file is empty (0 bytes); the generator job probably failed before "
            "writing events; regenerate it or drop it from the inputs"
        )
    return size


def sniff_compression(path: Path) -> str:
    with path.open("rb") as f:
        head = f.read(4)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    return "none"


def open_decompressed(path: Path, compression: str) -> BinaryIO:
    """A binary stream of the decompressed content (streaming: bounded memory)."""
    if compression == "gzip":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if compression == "bzip2":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if compression == "zstd":
        raw = path.open("rb")
        # concatenated frames (zstd a.hepmc b.hepmc > c.zst) are legal and common
        return zstandard.ZstdDecompressor().stream_reader(
            raw, read_across_frames=True, closefd=True
        )
    return path.open("rb")


def sniff_format(head: bytes) -> str | None:
    """Format from the start of the decompressed text, or ``None`` if not HepMC ASCII."""
    if b"HepMC::Asciiv3-START_EVENT_LISTING" in head:
        return HEPMC3
    if b"HepMC::IO_GenEvent-START_EVENT_LISTING" in head:
        return HEPMC2
    return None


def describe_foreign(path: Path, head: bytes) -> str:
    """One-line InputError text for content that is not HepMC ASCII."""
    stripped = head.lstrip()
    for magic, what in _FOREIGN:
        if stripped.startswith(magic) or (magic == b"<LesHouchesEvents" and magic in head):
            return f"{path}: not a HepMC file but {what}"
    if not stripped:
        return (
            f"{path}: holds only whitespace ({len(head)} bytes); the generator job probably "
            "failed; regenerate it or drop it from the inputs"
        )
    if b"HepMC::" in head:
        return (
            f"{path}: HepMC header without a START_EVENT_LISTING line this reader knows "
            f"(begins {head[:60]!r}); hepreint reads HepMC3 Asciiv3 and HepMC2 IO_GenEvent; "
            "convert it with HepMC3's convert_example"
        )
    return (
        f"{path}: not a HepMC ASCII file (begins {head[:40]!r}); hepreint reads HepMC3 ASCII "
        "and HepMC2 IO_GenEvent, plain or gzip/bzip2/zstd-compressed, and Delphes ROOT files"
    )


def _identity(stream: BinaryIO, head: bytes) -> int:
    """sha256 of the first :data:`IDENTITY_BYTES` decompressed bytes, truncated to 63 bits
    (non-negative in an int64). ``head`` is what was already read from ``stream``. A stream
    that is corrupt or cut within the window is hashed up to the damage: the identity stays
    a pure function of the file, and the reader reports the damage with its place."""
    digest = hashlib.sha256(head[:IDENTITY_BYTES])
    need = IDENTITY_BYTES - min(len(head), IDENTITY_BYTES)
    try:
        while need > 0:
            more = stream.read(min(need, 1 << 16))
            if not more:
                break
            digest.update(more)
            need -= len(more)
    except (OSError, EOFError, zlib.error, zstandard.ZstdError):
        pass
    return int.from_bytes(digest.digest()[:8], "little") & ((1 << 63) - 1)


def file_identity(info_or_path: FileInfo | str | Path) -> int:
    """63-bit identity of a file's decompressed content (see :func:`_identity`).

    Why content and not the path: the same events copied, renamed or recompressed must get the
    same random draws, and two files whose events are numbered alike (Pythia runs with
    different seeds) must not.
    """
    if isinstance(info_or_path, FileInfo):
        return info_or_path.identity
    return scan_file(info_or_path).identity


def scan_file(path: str | Path) -> FileInfo:
    """Check that ``path`` is a readable HepMC ASCII file; raise InputError otherwise.

    Reads only the first MiB (for the identity), so it is cheap enough to run on every input
    before the first event is processed (the runner fails fast on a bad 5th file instead of
    after 4 good ones).
    """
    p = Path(path)
    size = _check_exists(p)
    compression = sniff_compression(p)
    if compression == "none":
        with p.open("rb") as f:
            if f.read(4) == b"root":
                return _scan_root(p, size)
    head = b""
    try:
        with open_decompressed(p, compression) as f:
            head = f.read(SNIFF_BYTES)
            fmt = sniff_format(head)
            if fmt is None:
                raise InputError(describe_foreign(p, head))
            # the header may be longer than the sniff window (many weight names)
            while b"\nE " not in head and b"-END_EVENT_LISTING" not in head:
                more = f.read(1 << 16)
                if not more:
                    break
                head += more
            identity = _identity(f, head)
    except (OSError, EOFError, zstandard.ZstdError) as exc:
        raise InputError(
            f"{p}: {compression} stream is corrupt ({exc}); re-copy or recompress the file"
        ) from exc
    cut = head.find(b"\nE ")
    header = head[: cut + 1] if cut >= 0 else head
    return FileInfo(str(p), size, compression, fmt, header, identity)


def _scan_root(p: Path, size: int) -> FileInfo:
    """A ROOT file must be Delphes output (:mod:`.delphes` says what else it is). Its identity
    hashes the file's first MiB as stored (ROOT compresses baskets itself)."""
    from hepreint.io.delphes import inspect_file  # uproot is imported for ROOT inputs only

    entries = inspect_file(p).entries
    with p.open("rb") as f:
        identity = _identity(f, b"")
    return FileInfo(str(p), size, "none", DELPHES, b"", identity, entries=entries)
