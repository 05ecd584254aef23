"""What the limit plots share: matplotlib on demand, the Brazil-band colours, labels, saving.

Same style as the validation plot: mplhep's ATLAS style labelled "hepreint" (these are not ATLAS
results), and "calibrated approximation" on everything made from a calibrated likelihood.
matplotlib and mplhep are imported only when a plot is drawn (the ``[plots]`` extra).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hepreint.errors import HepreintError
from hepreint.stats.mapping import CALIBRATED_LABEL

GREEN, YELLOW = "#00cc00", "#ffcc00"  # the colours of ATLAS/CMS Brazil bands


def llabel(label: str) -> str:
    """The left label of a plot: the likelihood kind, or the calibrated-approximation mark."""
    return CALIBRATED_LABEL if label == CALIBRATED_LABEL else f"{label} likelihood"


def pyplot(path: str | Path) -> tuple[Any, Any]:
    """matplotlib.pyplot and mplhep in the plots' style; a clear error without the extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import mplhep
    except ImportError as exc:
        raise HepreintError(
            f"cannot write {path}: {exc.name} is not installed; pip install 'hepreint[plots]'"
        ) from None
    plt.style.use(mplhep.style.ATLAS)
    return plt, mplhep


def save(fig: Any, plt: Any, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` (creating its directory) and close it."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return p
