"""Time the statistics of one analysis: CLs at μ=1 + μ upper limit, then per-region S95.

    python benchmarks/limits.py [RESULTS.json] [--analysis DIR]

Without RESULTS, runs analyses/ttHbb on the shipped example first (not timed). Prints seconds
per stage; the target is under 5 s for ttHbb (issue: statistics and interoperability).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", nargs="?", type=Path)
    ap.add_argument("--analysis", type=Path, default=ROOT / "analyses" / "ttHbb")
    args = ap.parse_args()

    from hepreint import RunOptions, load_analysis, run
    from hepreint.stats import compute_limits

    analysis = load_analysis(args.analysis)
    if args.results is None:
        doc = run(analysis, [ROOT / "examples" / "ttH_pruned.hepmc3.gz"], RunOptions()).to_dict()
    else:
        doc = json.loads(args.results.read_text())
    rows = []
    t0 = time.perf_counter()
    combined = compute_limits(doc, analysis, per_region=False)
    rows.append(("CLs(μ=1) + μ upper limit (combined)", time.perf_counter() - t0))
    t0 = time.perf_counter()
    compute_limits(doc, analysis, per_region=True)
    rows.append(("combined + per-region S95", time.perf_counter() - t0))
    print(f"{analysis.name}: likelihood {combined.likelihood_kind} [{combined.label}]")
    for name, sec in rows:
        print(f"  {name:<40} {sec:6.2f} s")
    print(f"  expected μ limit (median) {combined.mu_limit_exp['median']:.3g}")


if __name__ == "__main__":
    main()
