"""Where preserved analyses live: ``analyses/`` of a checkout, or inside the installed wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def analyses_dirs() -> list[Path]:
    out = []
    packaged = resources.files("hepreint") / "_data" / "analyses"
    if packaged.is_dir():
        out.append(Path(str(packaged)))
    checkout = Path(__file__).resolve().parents[2] / "analyses"
    if checkout.is_dir():
        out.append(checkout)
    return out


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
