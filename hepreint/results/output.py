"""Where commands write: checked before the work, written atomically, failures in one line.

Every command that writes (run, limits, export, validate, merge, calibrate) first calls
:func:`check_output_dir`, so an ``-o`` under a regular file, on ``/dev/full`` or in a read-only
directory fails in one line *before* minutes of work, not as a traceback after it. Writes go
through :func:`write_text` (a temporary file in the same directory, then ``os.replace``), so a
reader never sees half a file and a failed write leaves the previous file as it was; a write that
still fails (disk full) becomes one :class:`OutputError` line naming the file and the fix.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError

#: the fixed names of outputs derived from the results.json beside them
DERIVED = ("limits.json", "cls_scan.png", "validation.json", "validation.txt", "validation.png")
#: the list of other derived files (exports) written into a results directory, kept there
MANIFEST = ".hepreint-derived.json"


#: the one call that puts a finished file in place (a seam for the tests' disk-full faults)
_replace = os.replace


class OutputError(HepreintError):
    """An output directory or file that cannot be created or written."""


def _fix(option: str) -> str:
    return f"pass {option} a directory you can write to"


def check_output_dir(directory: str | Path, option: str = "-o") -> Path:
    """Refuse, before any work, an output directory that cannot be created or written.

    Nothing is created: the nearest existing ancestor must be a directory we can write into
    (probed with a real temporary file, because ``os.access`` says yes to root on a read-only
    directory and knows nothing of full or read-only file systems).
    """
    out = Path(directory)
    probe = out
    while not probe.exists() and not probe.is_symlink():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        where = "is" if probe == out else f"is under {probe}, which is"
        raise OutputError(
            f"{option} {out}: {where} not a directory (a file is in the way); {_fix(option)}"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=".hepreint-probe-", dir=probe)
    except OSError as exc:
        raise OutputError(
            f"{option} {out}: cannot write into {probe} ({exc.strerror}); {_fix(option)}"
        ) from None
    os.close(fd)
    os.unlink(tmp)
    return out


def ensure_dir(directory: str | Path, option: str = "-o") -> Path:
    """``mkdir -p`` with a one-line error instead of an ``OSError`` traceback."""
    out = Path(directory)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{option} {out}: cannot create the directory ({exc.strerror}); {_fix(option)}"
        ) from None
    return out


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` atomically: all of it or (on any failure) the old file untouched."""
    p = Path(path)
    ensure_dir(p.parent, "the output directory")
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _replace(tmp, p)
        tmp = None
    except OSError as exc:
        raise OutputError(
            f"{p}: cannot write ({exc.strerror or exc}); nothing was written there: free space "
            "or pass -o a directory you can write to"
        ) from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    return p


def dumps(doc: Any, what: str, default: Any = None) -> str:
    """JSON text with no NaN/Infinity (not JSON; other readers choke on it)."""
    try:
        return json.dumps(doc, indent=1, allow_nan=False, default=default) + "\n"
    except ValueError as exc:  # a bug of ours: every non-finite number must be refused earlier
        raise HepreintError(f"internal error: {what} holds a non-finite number ({exc})") from None


def write_json(path: str | Path, doc: Any, what: str, default: Any = None) -> Path:
    return write_text(path, dumps(doc, what, default))


def record_derived(results_dir: str | Path, paths: Iterable[Path]) -> None:
    """Note exports written into the directory of a results.json, so that a rerun that
    replaces the results can remove them (they would otherwise sit beside it looking valid)."""
    base = Path(results_dir).resolve()
    if not (base / "results.json").is_file():
        return
    rel = []
    for p in paths:
        try:
            rel.append(str(Path(p).resolve().relative_to(base)))
        except ValueError:
            continue
    if not rel:
        return
    known = _manifest(base)
    write_json(base / MANIFEST, sorted(set(known) | set(rel)), "the derived-file list")


def _manifest(base: Path) -> list[str]:
    try:
        data = json.loads((base / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [str(x) for x in data if isinstance(x, str)] if isinstance(data, list) else []


def remove_derived(results_dir: str | Path) -> list[Path]:
    """Remove what was derived from the results.json in ``results_dir`` (it is being replaced):
    limits, CLs plot, validation report, recorded exports. Returns what was removed."""
    base = Path(results_dir)
    names = list(DERIVED) + [r for r in _manifest(base.resolve()) if ".." not in Path(r).parts]
    removed = []
    for name in names:
        p = base / name
        if p.is_file():
            try:
                p.unlink()
            except OSError as exc:
                raise OutputError(
                    f"{p}: derived from the results being replaced and cannot be removed "
                    f"({exc.strerror}); remove it by hand"
                ) from None
            removed.append(p)
    (base / MANIFEST).unlink(missing_ok=True)
    return removed
