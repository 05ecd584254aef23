"""validation.png: one y scale for every panel, binned regions drawn on their variable's axis
(with its unit), cut-flows on their steps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import hepreint
from hepreint.validation import validate, write_outputs

pytest.importorskip("matplotlib")
pytest.importorskip("mplhep")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def figure(example_sample: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    import matplotlib.pyplot as plt

    ana = hepreint.load_analysis(ROOT / "analyses" / "ttHbb")
    res = hepreint.run(ana, [example_sample], hepreint.RunOptions(max_events=60))
    comparison = validate(ana, res.to_dict())
    figures = []
    close = plt.close
    mp = pytest.MonkeyPatch()
    mp.setattr(plt, "close", lambda fig=None: figures.append(fig))
    try:
        paths = write_outputs(comparison, tmp_path_factory.mktemp("val"))
    finally:
        mp.undo()
    assert paths["png"].read_bytes().startswith(b"\x89PNG")
    (fig,) = figures
    yield fig
    close(fig)


def test_every_panel_has_the_same_y_scale(figure: Any) -> None:
    mains = figure.axes[: len(figure.axes) // 2]
    assert len({ax.get_yscale() for ax in mains}) == 1
    assert len({ax.get_ylim() for ax in mains}) == 1


def test_binned_regions_are_drawn_on_their_variable(figure: Any) -> None:
    ratios = figure.axes[len(figure.axes) // 2 :]
    labels = [ax.get_xlabel() for ax in ratios]
    assert "pth_reco [GeV] (last bin: overflow)" in labels
    binned = ratios[labels.index("pth_reco [GeV] (last bin: overflow)")]
    lo, hi = binned.get_xlim()
    assert lo == 0.0 and hi > 408.0  # the edges 0 ... 408, and the open bin beyond
    steps = [t.get_text() for t in ratios[0].get_xticklabels()]
    assert steps[0] == "all events"  # cut-flow panels keep their step names


def test_y_axes_say_what_they_hold(figure: Any) -> None:
    from hepreint.validation.compare import Comparison, Row
    from hepreint.validation.plot import _ylabel

    mains = figure.axes[: len(figure.axes) // 2]
    assert {ax.get_ylabel() for ax in mains} == {"cumulative efficiency"}
    rows = [Row("SR", "all events", "events", 10.0, 1.0, 11.0, 1.0, 1.0, 0.9, -0.5, "pass")]
    c = Comparison("x", 0.2, rows, [], [], luminosity_fb=140.0)
    assert _ylabel(c, rows) == "events at 140 fb$^{-1}$"
