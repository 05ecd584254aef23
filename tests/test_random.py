"""Random draws belong to events: the same event gets the same numbers in any batching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hepreint.events.random import event_uniforms
from hepreint.io import read_events


def _draws(path: Path, batch_size: int, seed: int = 7, stream: int = 1) -> list[float]:
    out: list[float] = []
    for b in read_events([path], batch_size=batch_size):
        counts = (np.arange(b.first_event, b.first_event + len(b)) % 5).astype(np.int64)
        out += [x for ev in event_uniforms(seed, stream, b, counts).tolist() for x in ev]
    return out


def test_draws_do_not_depend_on_batch_size(example_sample: Path) -> None:
    a = _draws(example_sample, 7)
    b = _draws(example_sample, 1000)
    assert len(a) == len(b) > 100 and a == b


@pytest.mark.slow
def test_draws_are_uniform_and_streams_independent(example_sample: Path) -> None:
    a = np.array(_draws(example_sample, 50, stream=1))
    b = np.array(_draws(example_sample, 50, stream=2))
    c = np.array(_draws(example_sample, 50, seed=8))
    assert np.all((a >= 0) & (a < 1))
    assert not np.array_equal(a, b) and not np.array_equal(a, c)
    # 250-odd draws: mean within ~4 sigma of 1/2, weak correlation between streams
    assert abs(a.mean() - 0.5) < 4 * np.sqrt(1 / 12 / len(a))
    assert abs(np.corrcoef(a, b)[0, 1]) < 4 / np.sqrt(len(a))
