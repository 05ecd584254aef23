#!/usr/bin/env python
"""Per-stage speed and peak memory of hepreint on one HepMC3 file, against the C++ floor.

    python benchmarks/stages.py [FILE] [--events N] [--batch-size B] [--json PATH]
                                [--no-floor] [--profile [N]] [--stages a,b,...]

Without FILE a full-history Pythia 8 ttH sample of N events (default 500) is generated once
into ~/.cache/hepreint-bench/tth_N.hepmc3 (plain HepMC3, which the C++ reference reads too) and
reused afterwards.  Every stage runs in its own subprocess so that its peak RSS (the kernel's
high-water mark, which includes C++ allocations that tracemalloc misses) is its own; the parent
collects each child's rusage with ``os.wait4``.  See benchmarks/README.md for what each stage
measures.  This is a benchmark, never a test: numbers vary between machines, compare ratios
measured in the same run on the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("HEPREINT_BENCH_CACHE", Path.home() / ".cache" / "hepreint-bench"))
FLOOR_DIR = Path(__file__).resolve().parent / "floor"  # floor.cc, build.sh, run.sh
ANALYSIS = REPO / "analyses" / "ttHbb"

STAGES = ("pyhepmc loop", "read", "read fast", "objects", "analysis", "end-to-end", "C++ floor")
# the objects stage uses the ttHbb object definitions (analyses/ttHbb/analysis.yaml)
LEPTON = {"pt_min": 10.0, "abs_eta_max": 2.5, "dress_dR": 0.1}
JETS = {"R": 0.4, "algorithm": "antikt", "pt_min": 25.0, "abs_eta_max": 2.5}


def _maxrss_mb() -> float:
    # Linux reports ru_maxrss in kB (macOS in bytes)
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20


def _batches_cache(path: str, batch_size: int) -> Path:
    st = Path(path).stat()
    return CACHE / f"batches-{Path(path).name}-{st.st_size}-{int(st.st_mtime)}-b{batch_size}.pkl"


def _prepare_batches(path: str, batch_size: int) -> None:
    """Read FILE once into a pickle of EventBatch objects (untimed, its own process), so that
    the objects/analysis workers load pre-read batches without the parser's memory peak."""
    import pickle

    from hepreint.io import read_events

    out = _batches_cache(path, batch_size)
    if out.exists():
        return
    batches = list(read_events([path], batch_size=batch_size))
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        pickle.dump(batches, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(out)


def _head(batch, n: int = 20):
    """The first ``n`` events of a batch (for an untimed warm-up that does not itself set the
    memory high-water mark)."""
    import dataclasses

    return dataclasses.replace(batch, particles=batch.particles[:n], weights=batch.weights[:n],
                               event_numbers=batch.event_numbers[:n])


def _read_batches(path: str, batch_size: int) -> list:
    import pickle

    with open(_batches_cache(path, batch_size), "rb") as f:
        return pickle.load(f)


# --------------------------------------------------------------------------- stage workers
# Each runs in a fresh interpreter (``stages.py --worker STAGE FILE``) and prints one JSON line:
# events, seconds (the timed part only), rss_before_mb (high-water mark before the timed part:
# interpreter, imports and, for objects/analysis, the pre-read batches) and peak_rss_mb.


def _worker_pyhepmc(path: str, batch_size: int, profile: int) -> dict:
    import pyhepmc

    n = n_particles = 0
    rss0 = _maxrss_mb()
    t0 = time.perf_counter()
    with pyhepmc.open(path) as f:
        for evt in f:
            px = evt.numpy.particles.px
            n_particles += len(px)
            n += 1
    return {"events": n, "seconds": time.perf_counter() - t0, "rss_before_mb": rss0,
            "particles": n_particles}


def _worker_read(path: str, batch_size: int, profile: int, reader: str = "pyhepmc") -> dict:
    from hepreint.io import read_events

    n = n_particles = n_batches = 0
    rss0 = _maxrss_mb()
    t0 = time.perf_counter()
    for batch in read_events([path], batch_size=batch_size, reader=reader):
        n += len(batch)
        n_particles += len(batch.particles.px.layout.content)  # flat length, no copy
        n_batches += 1
    return {"events": n, "seconds": time.perf_counter() - t0, "rss_before_mb": rss0,
            "particles": n_particles, "batches": n_batches}


def _objects_once(batch) -> int:
    import awkward as ak

    from hepreint import objects as obj

    truth = obj.truth_view(batch)
    obj.electrons(truth, **LEPTON)
    obj.muons(truth, **LEPTON)
    mask = obj.lepton_particle_mask(truth, dress_dR=LEPTON["dress_dR"])
    jets = obj.jets(obj.jet_inputs(truth, exclude=mask), **JETS)
    obj.flavour_label(jets, truth, dR=0.3)
    return int(ak.sum(ak.num(jets, axis=1)))


def _worker_objects(path: str, batch_size: int, profile: int) -> dict:
    from hepreint.objects.quiet import silence_fastjet_banner

    silence_fastjet_banner()
    batches = _read_batches(path, batch_size)
    # one untimed warm-up pass on a few events (first-call costs: fastjet banner, vector
    # behaviours, awkward's lazily built kernels); the timed pass then covers every batch
    _objects_once(_head(batches[0]))
    rss0 = _maxrss_mb()
    t0 = time.perf_counter()
    n = n_jets = 0
    for batch in batches:
        n_jets += _objects_once(batch)
        n += len(batch)
    return {"events": n, "seconds": time.perf_counter() - t0, "rss_before_mb": rss0,
            "jets": n_jets}


def _worker_analysis(path: str, batch_size: int, profile: int) -> dict:
    from hepreint.analysis.spec import load_analysis
    from hepreint.engine.processor import Processor

    proc = Processor(load_analysis(ANALYSIS), seed=12345)
    batches = _read_batches(path, batch_size)
    proc.process(_head(batches[0]))  # warm-up (see _worker_objects), not timed
    rss0 = _maxrss_mb()
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    total = None
    for batch in batches:
        y = proc.process(batch)
        total = y if total is None else total + y
    seconds = time.perf_counter() - t0
    out = {"events": sum(len(b) for b in batches), "seconds": seconds, "rss_before_mb": rss0}
    if prof is not None:
        import io
        import pstats

        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(profile)
        out["profile"] = buf.getvalue()
    return out


def _worker_read_fast(path: str, batch_size: int, profile: int) -> dict:
    return _worker_read(path, batch_size, profile, reader="fast")


WORKERS = {"pyhepmc loop": _worker_pyhepmc, "read": _worker_read, "read fast": _worker_read_fast,
           "objects": _worker_objects, "analysis": _worker_analysis}


def worker_main(stage: str, path: str, batch_size: int, profile: int) -> None:
    sys.path.insert(0, str(REPO))
    if stage == "prepare":
        _prepare_batches(path, batch_size)
        return
    res = WORKERS[stage](path, batch_size, profile)
    res["peak_rss_mb"] = _maxrss_mb()
    print("BENCH-RESULT " + json.dumps(res), flush=True)


# --------------------------------------------------------------------------- parent side


def _run_child(cmd: list[str], env: dict | None = None) -> tuple[int, str, str, float, float]:
    """Run ``cmd``; return (returncode, stdout, stderr, wall seconds, peak RSS MB of the child).

    ``os.wait4`` gives the rusage of this child alone (``RUSAGE_CHILDREN`` would be the maximum
    over every child waited for so far)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         cwd=REPO, env=env)
    # drain the pipes without waiting for the process (communicate() would reap it)
    import threading

    chunks: dict[str, list[str]] = {"out": [], "err": []}

    def pump(stream, key):
        chunks[key].append(stream.read())

    threads = [threading.Thread(target=pump, args=(p.stdout, "out")),
               threading.Thread(target=pump, args=(p.stderr, "err"))]
    for t in threads:
        t.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    for t in threads:
        t.join()
    p.returncode = os.waitstatus_to_exitcode(status)
    scale = 1.0 if sys.platform == "darwin" else 1024.0
    return p.returncode, "".join(chunks["out"]), "".join(chunks["err"]), wall, \
        ru.ru_maxrss * scale / 2**20


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def ensure_sample(n_events: int) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"tth_{n_events}.hepmc3"
    if out.exists():
        return out
    sys.path.insert(0, str(REPO))
    from hepreint.generate import generate

    tmp = out.with_name(f"tth_{n_events}.partial-{os.getpid()}.hepmc3")
    print(f"generating {n_events} ttH events (Pythia 8, full history) -> {out}", file=sys.stderr)
    t0 = time.perf_counter()
    generate("ttH", n_events, seed=1, output=tmp)
    tmp.replace(out)  # atomic: an interrupted generation never leaves a short sample behind
    print(f"  done in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return out


def _warm_page_cache(path: Path) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass


def run_worker_stage(stage: str, path: Path, batch_size: int, profile: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", stage, str(path),
           "--batch-size", str(batch_size), "--profile", str(profile)]
    rc, out, err, wall, rss = _run_child(cmd, _env())
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if rc != 0 or line is None:
        return {"stage": stage, "error": f"exit {rc}: {err.strip()[-2000:]}"}
    res = json.loads(line.split(" ", 1)[1])
    res.update(stage=stage, process_wall_s=wall, peak_rss_mb=rss)
    return res


def run_end_to_end(path: Path, batch_size: int) -> dict:
    cmd = [sys.executable, "-m", "hepreint", "run", str(ANALYSIS), str(path), "-q",
           "--batch-size", str(batch_size)]
    rc, out, err, wall, rss = _run_child(cmd, _env())
    if rc != 0:
        return {"stage": "end-to-end", "error": f"exit {rc}: {err.strip()[-2000:]}"}
    return {"stage": "end-to-end", "seconds": wall, "peak_rss_mb": rss,
            "command": "python -m hepreint run analyses/ttHbb FILE -q (default reader: fast)"}


def _floor_built() -> bool:
    binary = Path(os.environ.get("BENCH_BUILD", CACHE)) / "hepreint-floor"
    src = FLOOR_DIR / "floor.cc"
    return binary.exists() and os.access(binary, os.X_OK) and \
        binary.stat().st_mtime > src.stat().st_mtime


def run_floor(path: Path) -> dict:
    os.environ.setdefault("BENCH_BUILD", str(CACHE))  # build.sh, run.sh and we agree on it
    run_sh = FLOOR_DIR / "run.sh"
    if not _floor_built():  # build (apt + g++) outside the measurement
        print("building the C++ floor (benchmarks/floor/build.sh) ...", file=sys.stderr)
        b = subprocess.run(["bash", str(FLOOR_DIR / "build.sh")], capture_output=True, text=True)
        if b.returncode != 0:
            return {"stage": "C++ floor", "error": f"build failed: {b.stderr.strip()[-2000:]}"}
    rc, out, err, wall, rss = _run_child(["bash", str(run_sh), str(path)])
    if rc != 0:
        return {"stage": "C++ floor", "error": f"exit {rc}: {err.strip()[-2000:]}"}
    line = next((ln for ln in out.splitlines() if ln.startswith("floor ")), "")
    fields = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
    res: dict = {"stage": "C++ floor", "seconds": wall, "peak_rss_mb": rss, "floor_output": line}
    if "events" in fields:
        res["events"] = int(fields["events"])
    if "seconds" in fields:
        res["internal_seconds"] = float(fields["seconds"])
    return res


def _fmt_table(rows: list[dict]) -> str:
    head = f"{'stage':<14} {'events':>7} {'seconds':>9} {'events/s':>9} {'peak RSS MB':>12}" \
           f" {'stage ΔRSS MB':>14}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['stage']:<14} ERROR {r['error'].splitlines()[-1][:100]}")
            continue
        if r.get("skipped"):
            lines.append(f"{r['stage']:<14} (skipped: {r['skipped']})")
            continue
        delta = r["peak_rss_mb"] - r["rss_before_mb"] if "rss_before_mb" in r else None
        lines.append(
            f"{r['stage']:<14} {r['events']:>7} {r['seconds']:>9.2f} {r['events_per_s']:>9.1f}"
            f" {r['peak_rss_mb']:>12.0f} {'' if delta is None else f'{delta:.0f}':>14}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", nargs="?", help="HepMC3 file (default: generated ttH sample)")
    ap.add_argument("--events", type=int, default=500,
                    help="events of the generated sample when FILE is not given (default 500)")
    ap.add_argument("--batch-size", type=int, default=2000)
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--no-floor", action="store_true", help="skip the C++ floor")
    ap.add_argument("--profile", type=int, nargs="?", const=15, default=0, metavar="N",
                    help="cProfile the analysis stage, print the top N by cumulative time")
    ap.add_argument("--stages", default=",".join(STAGES),
                    help="comma-separated subset of: " + ", ".join(STAGES))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker_main(args.worker, args.file, args.batch_size, args.profile)
        return 0

    wanted = [s.strip() for s in args.stages.split(",") if s.strip()]
    unknown = set(wanted) - set(STAGES)
    if unknown:
        ap.error(f"unknown stages {sorted(unknown)}")
    path = Path(args.file).resolve() if args.file else ensure_sample(args.events)
    _warm_page_cache(path)
    print(f"file: {path} ({path.stat().st_size / 1e6:.1f} MB), batch size {args.batch_size}",
          file=sys.stderr)

    rows: list[dict] = []
    n_ref = None
    prepared = False
    for stage in STAGES:
        if stage not in wanted:
            continue
        print(f"  {stage} ...", file=sys.stderr, flush=True)
        if stage in ("objects", "analysis") and not prepared:
            p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker",
                                "prepare", str(path), "--batch-size", str(args.batch_size)],
                               cwd=REPO, env=_env())
            prepared = p.returncode == 0
        if stage in WORKERS:
            r = run_worker_stage(stage, path, args.batch_size, args.profile if stage == "analysis"
                                 else 0)
        elif stage == "end-to-end":
            r = run_end_to_end(path, args.batch_size)
        else:
            if args.no_floor:
                r = {"stage": stage, "skipped": "--no-floor"}
            elif not (FLOOR_DIR / "run.sh").exists():
                r = {"stage": stage, "skipped": f"{FLOOR_DIR / 'run.sh'} not found"}
            else:
                r = run_floor(path)
        if "events" in r and n_ref is None:
            n_ref = r["events"]
        if "seconds" in r and "error" not in r:
            r.setdefault("events", n_ref)
            if r["events"] is None:  # only end-to-end/floor requested: count the events
                r["events"] = n_ref = _count_events(path)
            r["events_per_s"] = r["events"] / r["seconds"] if r["seconds"] > 0 else float("inf")
        rows.append(r)

    by = {r["stage"]: r for r in rows}
    summary: dict = {}
    if "events_per_s" in by.get("end-to-end", {}) and "events_per_s" in by.get("C++ floor", {}):
        summary["end_to_end_over_floor"] = (by["end-to-end"]["events_per_s"]
                                            / by["C++ floor"]["events_per_s"])
    if "events_per_s" in by.get("pyhepmc loop", {}) and "events_per_s" in by.get("read", {}):
        summary["read_over_pyhepmc"] = (by["read"]["events_per_s"]
                                        / by["pyhepmc loop"]["events_per_s"])
    parts = [r for r in rows if r["stage"] in ("read", "analysis") and "seconds" in r]
    if len(parts) == 2:
        t = sum(r["seconds"] for r in parts)
        summary["share_of_read_in_read_plus_analysis"] = by["read"]["seconds"] / t

    print(_fmt_table(rows))
    for key, val in summary.items():
        print(f"{key}: {val:.3f}")
    if "C++ floor" in by and "internal_seconds" in by["C++ floor"]:
        print(f"C++ floor, its own timer (no process start-up): "
              f"{by['C++ floor']['events'] / by['C++ floor']['internal_seconds']:.1f} events/s")
    if "profile" in by.get("analysis", {}):
        print("\ncProfile of the analysis stage (cumulative):")
        print(by["analysis"]["profile"])

    if args.json:
        meta = {
            "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "file": str(path),
            "file_bytes": path.stat().st_size,
            "batch_size": args.batch_size,
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "machine": platform.platform(),
            "command": " ".join(shlex.quote(a) for a in [sys.argv[0], *(argv or sys.argv[1:])]),
        }
        particles = by.get("pyhepmc loop", by.get("read", {})).get("particles")
        if particles and n_ref:
            meta["particles_per_event"] = particles / n_ref
        Path(args.json).write_text(json.dumps({"meta": meta, "stages": rows, "summary": summary},
                                              indent=2) + "\n")
    return 1 if any("error" in r for r in rows) else 0


def _count_events(path: Path) -> int:
    n = 0
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"E "):
                n += 1
    return n


if __name__ == "__main__":
    sys.exit(main())
