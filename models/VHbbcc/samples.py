"""The samples every VH(bb/cc) recipe reads (BDTs and likelihood): one list, so both see the
same events.  Sizes are the documented default: ~35.5k events, about 40 minutes on 2 cores with
Pythia 8.317 (``--scale`` multiplies them)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "models"))

from _lib import recipe as recipe_lib  # noqa: E402

WORK = REPO / "models" / "_work" / "VHbbcc"

#: (process, events, seed, params); signal first (the label of each sample is in LABELS)
SIGNALS: list[recipe_lib.Sample] = [
    ("WH_bb", 6000, 301, []),
    ("ZH_bb", 6000, 302, []),
    ("WH_cc", 3000, 303, []),
    ("ZH_cc", 3000, 304, []),
]
#: the backgrounds Pythia 8 makes at LO (hepreint/generate/processes_vh.py); VZ with pT(hat) >
#: 50 GeV: every VZ region starts at pT(V) = 75 GeV (2-lepton) or 150 GeV, and at LO
#: pT(V) = pT(hat) (our choice, documented in the analysis README)
BACKGROUNDS: list[recipe_lib.Sample] = [
    ("ttbar", 6000, 311, []),
    ("W_jets", 5000, 312, []),
    ("Z_jets", 3000, 313, []),
    ("VZ", 3000, 315, ["pthat_min=50"]),
    ("single_top", 1500, 314, []),
]


def files(scale: float = 1.0) -> tuple[list[Path], list[dict[str, object]]]:
    """Every sample (generated if missing, two at a time), signals then backgrounds."""
    WORK.mkdir(parents=True, exist_ok=True)
    return recipe_lib.sample_files(WORK, [*SIGNALS, *BACKGROUNDS], scale)


if __name__ == "__main__":
    for f in files(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0)[0]:
        print(f)
