"""Regenerate the example samples in this folder (run from the repository root).

    python examples/make_examples.py

Equivalent CLI line, once ``hepreint generate`` exists:

    hepreint generate ttH --events 130 --seed 42 --prune --precision 6 \
        -o examples/ttH_pruned.hepmc3.gz
"""

from __future__ import annotations

from pathlib import Path

from hepreint.generate import generate

HERE = Path(__file__).resolve().parent


def main() -> None:
    s = generate("ttH", 130, 42, HERE / "ttH_pruned.hepmc3.gz", prune=True, precision=6)
    size = s.output.stat().st_size
    print(
        f"{s.output.name}: {s.n_events} events, {size / 1e6:.2f} MB, "
        f"sigma = {s.sigma_pb:.4g} +- {s.sigma_err_pb:.2g} pb, {s.seconds:.1f} s"
    )


if __name__ == "__main__":
    main()
