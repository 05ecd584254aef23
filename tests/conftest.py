"""Shared fixtures: the shipped example sample, small event files derived from it, and Pythia
samples generated once per session for every test file that needs the same one."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ttH_pruned.hepmc3.gz"

#: generate(process, n_events, seed, params) -> the pruned HepMC3 file, made once per session
PythiaSample = Callable[[str, int, int, Mapping[str, float]], Path]


@pytest.fixture(scope="session")
def example_sample() -> Path:
    assert EXAMPLE.is_file(), f"{EXAMPLE} is missing; see examples/README.md to regenerate it"
    return EXAMPLE


@pytest.fixture(scope="session")
def pythia_sample(tmp_path_factory: pytest.TempPathFactory) -> PythiaSample:
    """A pruned Pythia sample, generated the first time a test asks for it and shared after
    that: the same (process, events, seed, params) is the same file (generation is seeded and
    bit-reproducible, which tests/test_engine_pins.py checks by sha256). Tests must not modify
    the file; copy it first."""
    pytest.importorskip("pythia8mc")
    from hepreint.generate import generate

    d = tmp_path_factory.mktemp("pythia")
    made: dict[str, Path] = {}

    def get(process: str, n: int, seed: int, params: Mapping[str, float]) -> Path:
        key = json.dumps([process, n, seed, sorted(params.items())])
        if key not in made:
            path = d / f"{process}_n{n}_s{seed}_{len(made)}.hepmc3"
            generate(process, n, seed, path, params=dict(params), prune=True)
            made[key] = path
        return made[key]

    return get
