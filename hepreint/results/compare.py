"""One analysis under several detector responses, its cut-flows next to each other.

The same events go through truth level and a detector card in one pass, so the ratio of two
columns is the detector's effect alone (no sample-to-sample fluctuation): the b-tag steps drop
by about the working points' efficiencies, trigger and identification steps by theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

from hepreint.results.document import Results


def side_by_side(results: Sequence[Results]) -> str:
    """The terminal table: per region and step, raw count, yield and cumulative efficiency for
    each detector, and the ratio of each detector's yield to the first one's."""
    first = results[0]
    a = first.analysis
    names = [r.analysis.detector for r in results]
    unit = "events" if first.normalised else "Σw"
    lines = [
        f"{a.metadata['title']}",
        f"arXiv:{a.metadata['arxiv']}  events read: {first.yields.n_events}  detectors: "
        + ", ".join(names),
        "yield: " + unit + "; eff: cumulative efficiency; ratio: yield / " + names[0],
    ]
    for r in a.regions:
        if r.bin is not None:
            continue
        lines.append("")
        lines.append(f"[{r.name}] {r.description}")
        head = f"  {'step':<26}"
        for n in names:
            head += f"{n[:24]:>26}"
        lines.append(head)
        sub = f"  {'':<26}"
        for i, _ in enumerate(names):
            sub += f"{'raw':>6}{'yield':>10}{'eff':>7}" + (f"{'ratio':>7}" if i else f"{'':>3}")
        lines.append(sub)
        columns = []
        for res in results:
            ry = res.yields.regions[r.name]
            sw = ry.sumw_float()[:, 0]
            columns.append((ry.n, sw * res.factor, sw))
        for i, step in enumerate(first.yields.regions[r.name].steps):
            row = f"  {step[:25]:<26}"
            base = columns[0][1][i]
            for j, (raw, y, sw) in enumerate(columns):
                eff = sw[i] / sw[0] if sw[0] else float("nan")
                row += f"{raw[i]:>6}{y[i]:>10.4g}{eff:>7.3f}"
                if j:
                    ratio = y[i] / base if base else float("nan")
                    row += f"{ratio:>7.3f}"
                else:
                    row += f"{'':>3}"
            lines.append(row)
    notes = [f"{res.analysis.detector}: {res.provenance['detector'].get('description', '')}"
             for res in results]  # fmt: skip
    lines.append("")
    lines.extend(notes)
    return "\n".join(lines)
