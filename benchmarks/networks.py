#!/usr/bin/env python
"""What the networks cost: batched inference events/s per network (feature building and the
ONNX run apart) and the share of a whole ttHbb run (atlas-run2) that the networks stage takes.

    python benchmarks/networks.py [FILE] [--batch-size B]

Reading is done once, before the timing. Without FILE the 500-event ttH sample of the benchmark
cache is used (generated once, see stages.py). A benchmark, never a test: it prints, it asserts
nothing. ONNX sessions use HEPREINT_ONNX_THREADS threads (default 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stages  # noqa: E402 - the shared sample cache

REPO = stages.REPO


def measure(path: Path, batch_size: int) -> None:
    import numpy as np

    from hepreint import load_analysis
    from hepreint.engine.context import Context
    from hepreint.engine.processor import Processor
    from hepreint.io import read_events
    from hepreint.networks import build_inputs, folds_of

    batches = list(read_events([path], batch_size=batch_size))
    n = sum(len(b) for b in batches)
    a = load_analysis(REPO / "analyses" / "ttHbb").with_detector("atlas-run2")
    proc = Processor([a], seed=1)
    proc.process(batches[0])  # warm-up: sessions opened, imports done
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    for b in batches:
        ctx = Context(b, proc.seed)
        proc._one(ctx, proc.plans[0])
        for k, v in ctx.seconds.items():
            seconds[k] = seconds.get(k, 0.0) + v
    total = time.perf_counter() - t0
    print(f"{n} events of {path.name}, batches of {batch_size}, ttHbb @ atlas-run2")
    print(f"  whole run (stages + yields): {n / total:8.0f} events/s")
    net_s = seconds.get("networks", 0.0)
    print(f"  networks stage: {n / net_s:8.0f} events/s, {100 * net_s / total:.1f} % of the run")
    plan = proc.plans[0]
    for name, net in plan.networks:
        t_feat = t_run = 0.0
        for b in batches:
            values = proc.evaluate(b, until="derived")
            t1 = time.perf_counter()
            feed = build_inputs(net.card, values, len(b))
            t2 = time.perf_counter()
            fold = folds_of(net.card, b.event_numbers)
            for i, s in enumerate(net.sessions):
                sel = np.flatnonzero(fold == i)
                s.run([net.card.output_tensor], {k: v[sel] for k, v in feed.items()})
            t_run += time.perf_counter() - t2
            t_feat += t2 - t1
        print(f"  {name:<10} features {n / t_feat:9.0f} events/s, ONNX {n / t_run:9.0f} "
              f"events/s ({len(net.sessions)} folds)")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", type=Path)
    ap.add_argument("--batch-size", type=int, default=1000)
    args = ap.parse_args(argv)
    path = args.file or stages.ensure_sample(500)
    measure(path, args.batch_size)
    return 0


if __name__ == "__main__":
    sys.exit(main())
