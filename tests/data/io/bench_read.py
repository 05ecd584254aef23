"""Read speed of hepreint.io vs a bare pyhepmc loop: ``python tests/data/io/bench_read.py [N]``.

Writes N events of ~1000 particles (HepMC3 and HepMC2) to a temporary directory, then times
both readers (the bare loop includes ``write_data``, which any columnar conversion needs).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyhepmc
from pyhepmc import FourVector, GenEvent, GenParticle, GenVertex

from hepreint.io import read_events


def make_event(rng: np.random.Generator, n: int, number: int) -> GenEvent:
    evt = GenEvent(pyhepmc.Units.GEV, pyhepmc.Units.MM)
    evt.event_number = number
    v = GenVertex()
    for z in (6500.0, -6500.0):
        v.add_particle_in(GenParticle(FourVector(0, 0, z, 6500.0), 2212, 4))
    evt.add_vertex(v)
    frontier = []
    for _ in range(4):
        p = GenParticle(FourVector(*rng.normal(size=3) * 50, 300.0), 21, 23)
        v.add_particle_out(p)
        frontier.append(p)
    total = 6
    while total < n:
        mother = frontier.pop(0)
        vv = GenVertex()
        vv.add_particle_in(mother)
        for _ in range(3):
            pid = int(rng.choice([211, -211, 22, 111, 321]))
            p = GenParticle(FourVector(*rng.normal(size=3) * 10, 100.0), pid, 1)
            vv.add_particle_out(p)
            frontier.append(p)
            total += 1
        evt.add_vertex(vv)
    evt.weights = [1.0, 0.5, 2.0]
    return evt


def main(n_events: int = 300) -> None:
    rng = np.random.default_rng(1)
    pyhepmc.Setup.print_warnings = False
    with tempfile.TemporaryDirectory() as tmp:
        paths = {fmt: Path(tmp) / f"big.{fmt}" for fmt in ("hepmc3", "hepmc2")}
        run = pyhepmc.GenRunInfo()
        run.weight_names = ["nominal", "up", "down"]
        with (
            pyhepmc.open(paths["hepmc3"], "w") as f3,
            pyhepmc.open(paths["hepmc2"], "w", format="hepmc2") as f2,
        ):
            for i in range(n_events):
                evt = make_event(rng, 1000, i)
                evt.run_info = run
                f3.write(evt)
                f2.write(evt)
        for fmt, path in paths.items():
            for _ in range(3):
                t = time.perf_counter()
                with pyhepmc.open(path) as f:
                    for evt in f:
                        evt.write_data(pyhepmc.GenEventData())
                bare = n_events / (time.perf_counter() - t)
                t = time.perf_counter()
                n = sum(len(b) for b in read_events([path], batch_size=100))
                ours = n / (time.perf_counter() - t)
                print(f"{fmt}: bare pyhepmc {bare:.0f} ev/s, hepreint.io {ours:.0f} ev/s")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:]))
