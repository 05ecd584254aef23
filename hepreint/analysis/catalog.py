"""Where preserved analyses live: ``analyses/`` of a checkout, or inside the installed wheel."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path

from hepreint.errors import SpecError


def data_dirs(name: str) -> list[Path]:
    """``name/`` (analyses, detectors) inside the installed wheel, then of a source checkout."""
    out = []
    packaged = resources.files("hepreint") / "_data" / name
    if packaged.is_dir():
        out.append(Path(str(packaged)))
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir():
        out.append(checkout)
    return out


def analyses_dirs() -> list[Path]:
    return data_dirs("analyses")


def list_analyses() -> list[Path]:
    seen: dict[str, Path] = {}
    for d in analyses_dirs():
        for p in sorted(d.iterdir()):
            if (p / "analysis.yaml").is_file() and p.name not in seen:
                seen[p.name] = p
    return list(seen.values())


def find_analysis(name: str) -> Path | None:
    for p in list_analyses():
        if p.name == name:
            return p
    return None


def directory_digest(directory: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(directory.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            h.update(str(p.relative_to(directory)).encode())
            h.update(b"\0")
            h.update(p.read_bytes())
    return h.hexdigest()


def resolve_analysis_path(path: str | Path) -> Path:
    """A directory, its ``analysis.yaml``, or the name of a shipped analysis."""
    p = Path(path)
    if p.is_file():
        return p
    if p.is_dir():
        return p / "analysis.yaml"
    found = find_analysis(str(path))
    if found is not None:
        return found / "analysis.yaml"
    raise SpecError(
        f"{path}: no such analysis directory or shipped analysis; "
        "run 'hepreint list' to see the preserved analyses"
    )
