"""hepreint's reader against pyhepmc, event by event, on real Pythia events (the example)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyhepmc

from hepreint.io import read_events


def test_reader_agrees_with_pyhepmc_on_pythia_events(example_sample: Path) -> None:
    batches = list(read_events([example_sample], batch_size=50))
    assert [b.index for b in batches] == list(range(len(batches)))
    k = 0
    with pyhepmc.open(str(example_sample)) as f:
        for evt in f:
            b, i = batches[k // 50], k % 50
            ref = evt.numpy.particles
            p = b.particles[i]
            np.testing.assert_array_equal(p.pid.to_numpy(), ref.pid)
            np.testing.assert_array_equal(p.status.to_numpy(), ref.status)
            for ours, theirs in (("px", "px"), ("py", "py"), ("pz", "pz"), ("E", "e")):
                np.testing.assert_array_equal(getattr(p, ours).to_numpy(), getattr(ref, theirs))
            first_mother = [
                next(iter(q.production_vertex.particles_in)).id - 1
                if q.production_vertex is not None and len(q.production_vertex.particles_in)
                else -1
                for q in evt.particles
            ]
            assert p.parent.to_list() == first_mother
            np.testing.assert_array_equal(b.weights[i], evt.weights)
            assert b.event_numbers[i] == evt.event_number
            assert b.xsec_pb is not None
            k += 1
    assert k == sum(len(b) for b in batches) > 100
