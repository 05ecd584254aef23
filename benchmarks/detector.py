#!/usr/bin/env python
"""What the detector stage costs: ttHbb at truth level, with atlas-run2 (direct tagging) and
with atlas-run2 (truth tagging), stage by stage, on the same pre-read batches.

    python benchmarks/detector.py [FILE] [--events N] [--batch-size B]

Reading is done once, before the timing (its speed is benchmarks/stages.py's subject); the
table gives events/s of every engine stage (objects, detector, overlap, derived, variables,
selection, truth_tagging, yields) for each variant and the total. Without FILE the 500-event
ttH sample of the benchmark cache is used (generated once, see stages.py). A benchmark, never a
test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stages  # noqa: E402 - the shared sample cache

REPO = stages.REPO


def measure(path: Path, batch_size: int) -> dict[str, dict[str, float]]:
    from hepreint import load_analysis
    from hepreint.engine.context import Context
    from hepreint.engine.processor import Processor
    from hepreint.io import read_events

    batches = list(read_events([path], batch_size=batch_size))
    n = sum(len(b) for b in batches)
    base = load_analysis(REPO / "analyses" / "ttHbb")
    variants = {
        "truth": base.with_detector("truth"),
        "atlas-run2 direct": base.with_detector("atlas-run2", "direct"),
        "atlas-run2 truth-tag": base.with_detector("atlas-run2", "truth"),
    }
    out: dict[str, dict[str, float]] = {}
    for label, a in variants.items():
        proc = Processor([a], seed=1)
        proc.process(batches[0])  # warm-up (imports, card load)
        seconds: dict[str, float] = {}
        t0 = time.perf_counter()
        for b in batches:
            ctx = Context(b, proc.seed)
            proc._one(ctx, proc.plans[0])
            for k, v in ctx.seconds.items():
                seconds[k] = seconds.get(k, 0.0) + v
        total = time.perf_counter() - t0
        row = {k: n / v for k, v in seconds.items() if v > 0}
        row["total"] = n / total
        out[label] = row
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path)
    ap.add_argument("--events", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=500)
    args = ap.parse_args(argv)
    path = args.file or stages.ensure_sample(args.events)
    res = measure(path, args.batch_size)
    names = sorted({k for r in res.values() for k in r if k != "total"}) + ["total"]
    print(f"events/s per engine stage, ttHbb on {path} (reading excluded)")
    print(f"{'stage':<16}" + "".join(f"{label:>24}" for label in res))
    for name in names:
        print(f"{name:<16}" + "".join(f"{r.get(name, float('nan')):>24.1f}" for r in res.values()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
