#!/usr/bin/env python
"""The engine's scaling: several analyses in one pass, and 1 vs 2 workers on one big file.

    python benchmarks/engine.py [FILE] [--events N] [--small M] [--no-floor]

* **one vs two analyses**: wall time of ``hepreint run`` with ttHbb alone, the HH→4b test spec
  alone, and both in one pass (each event read once, shared definitions built once); the ratio
  of the pass to the slower analysis alone (goal: at most 1.25).
* **1 vs 2 workers**: events/s of ``--executor processes --workers 1`` and ``--workers 2`` on
  FILE, through the Python API, with each worker's peak RSS (reported by the worker itself); the
  speed-up (goal: at least 1.8 on 2 cores) and the workers' peak RSS on a sample of M events
  against FILE, both with batches of 100 events (goal: flat in file size).
* the C++ floor (``benchmarks/floor/run.sh FILE``) on the same file, for the ratio.

Without FILE a full-history Pythia 8 ttH sample of N events (default 2000) is generated once into
the benchmark cache (see stages.py). A benchmark, never a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stages  # noqa: E402 - the shared sample cache and C++ floor

REPO = stages.REPO
TTH = REPO / "analyses" / "ttHbb"
HH4B = REPO / "tests" / "specs" / "HH4b"


def _wall(args: list[str]) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "hepreint", "run", *args, "-q"],
                       capture_output=True, text=True)  # fmt: skip
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    return time.perf_counter() - t0


def one_vs_two(path: Path) -> dict[str, float]:
    f = str(path)
    out = {
        "ttHbb alone": _wall([str(TTH), f]),
        "HH4b alone": _wall([str(HH4B), f, "--param", "mX=500"]),
        "both, one pass": _wall([str(TTH), str(HH4B), f, "--param", "mX=500"]),
    }
    slower = max(out["ttHbb alone"], out["HH4b alone"])
    out["pass / slower alone"] = out["both, one pass"] / slower
    return out


def workers(path: Path, n: int, batch_size: int = 100) -> dict[str, float]:
    from hepreint import RunOptions, load_analysis
    from hepreint.engine.processor import Processor
    from hepreint.engine.runner import execute

    proc = Processor([load_analysis(TTH)], seed=1)
    opts = RunOptions(executor="processes", workers=n, batch_size=batch_size)
    t0 = time.perf_counter()
    acc = execute(proc, [path], opts)
    dt = time.perf_counter() - t0
    if acc.failure is not None:
        raise SystemExit(str(acc.failure))
    rss = max(mb for _, mb in acc.workers.values())
    shares = sum(k for k, _ in acc.workers.values())
    return {"events": acc.n_events, "seconds": dt, "events/s": acc.n_events / dt,
            "worker peak RSS MB": rss, "shares": shares}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?")
    ap.add_argument("--events", type=int, default=2000)
    ap.add_argument("--small", type=int, default=500)
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--no-pass", action="store_true", help="skip the one-vs-two-analyses part")
    args = ap.parse_args(argv)
    path = Path(args.file) if args.file else stages.ensure_sample(args.events)
    small = stages.ensure_sample(args.small)
    stages._warm_page_cache(path)
    print(f"file: {path} ({path.stat().st_size / 2**20:.1f} MB)")
    if not args.no_pass:
        print("\n== one vs two analyses (hepreint run, wall s) ==")
        for k, v in one_vs_two(path).items():
            print(f"  {k:<24} {v:8.2f}")
    print("\n== 1 vs 2 workers (--executor processes) ==")
    rows = {n: workers(path, n) for n in (1, 2)}
    for n, r in rows.items():
        print(f"  workers={n}: " + ", ".join(f"{k} {v:.4g}" for k, v in r.items()))
    print(f"  speed-up 2 vs 1 worker: {rows[2]['events/s'] / rows[1]['events/s']:.2f}x")
    s = workers(small, 2)
    print(f"  worker peak RSS: {s['worker peak RSS MB']:.0f} MB on {s['events']} events, "
          f"{rows[2]['worker peak RSS MB']:.0f} MB on {rows[2]['events']} events")  # fmt: skip
    if not args.no_floor:
        floor = stages.run_floor(path)
        print(f"\n== C++ floor (HepMC3 + FastJet, 1 core) ==\n  {floor}")
        if "events" in floor:
            rate = floor["events"] / floor["seconds"]
            print(
                f"  floor {rate:.1f} events/s; 2 workers / floor: {rows[2]['events/s'] / rate:.2f}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
