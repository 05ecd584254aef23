"""Random numbers that belong to events, not to batches, workers or analyses.

A generator seeded per batch would give different draws to the same event when the batch size
or the number of workers changes. Instead every draw is a counter-based hash (SplitMix64, a
bijective 64-bit mixer) of (run seed, stage, file identity, the event's place in its file, its
event number, draw index within the event): vectorised in numpy, reproducible whatever the
batching or the share of the file a worker reads, and independent between stages (one stream per
detector function, named by the stage that draws). Two files whose events are numbered alike get
different draws because their identities differ.
"""

from __future__ import annotations

import hashlib

import awkward as ak
import numpy as np

from hepreint.events.batch import EventBatch

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (uint64 in, uint64 out; arithmetic wraps modulo 2**64)."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def _key(*parts: np.ndarray | int) -> np.ndarray:
    h = np.zeros(1, dtype=np.uint64)
    for p in parts:
        h = _mix(h ^ np.asarray(p).astype(np.uint64))
    return h


def stream_id(stage: str | int) -> int:
    """A stable 64-bit number for a stage name (the same in every process and Python version)."""
    if isinstance(stage, int):
        return stage
    return int.from_bytes(hashlib.sha256(stage.encode()).digest()[:8], "little")


def event_keys(seed: int, stage: str | int, batch: EventBatch) -> np.ndarray:
    """One 64-bit key per event of ``batch`` for ``stage`` (uint64)."""
    return _key(
        seed & 0xFFFFFFFFFFFFFFFF,
        stream_id(stage),
        batch.file_id,
        batch.places,
        np.asarray(batch.event_numbers, dtype=np.int64),
    )


def event_uniforms(
    seed: int, stage: str | int, batch: EventBatch, counts: np.ndarray
) -> ak.Array:
    """Jagged uniforms in [0, 1): ``counts[i]`` draws for event ``i`` of ``batch``.

    Draw ``k`` of an event depends only on (seed, stage, file identity, the event's place in its
    file, its event number, k), so splitting the run differently never changes it.
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = len(batch)
    if len(counts) != n:
        raise ValueError("one count per event is needed")
    event_key = event_keys(seed, stage, batch)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    owner = np.repeat(np.arange(n), counts)
    k = np.arange(offsets[-1], dtype=np.int64) - offsets[owner]
    bits = _mix(event_key[owner] ^ _mix(k.astype(np.uint64)))
    u = (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)  # 53 bits
    return ak.unflatten(u, counts)
