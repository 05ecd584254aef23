"""Shared fixtures: the shipped example sample and small event files derived from it."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "ttH_pruned.hepmc3.gz"


@pytest.fixture(scope="session")
def example_sample() -> Path:
    assert EXAMPLE.is_file(), f"{EXAMPLE} is missing; see examples/README.md to regenerate it"
    return EXAMPLE
