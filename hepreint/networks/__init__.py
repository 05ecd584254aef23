"""Preserved networks: cards (the ONNX contract), feature building, batched inference.

Sits beside :mod:`hepreint.analysis` in the data flow: an analysis names its networks, whose
inputs are expressions over the analysis' collections; the engine's ``networks`` stage runs each
once per batch (:func:`run_network`) and the analysis' variables read the outputs by name.
"""

from __future__ import annotations

from hepreint.networks.card import Feature, Input, NetworkCard, parse_card, sha256_of
from hepreint.networks.evaluate import NetworkValues, folds_of, run_network
from hepreint.networks.features import build_inputs
from hepreint.networks.section import load_section
from hepreint.networks.session import LoadedNetwork, load_network

__all__ = [
    "Feature",
    "Input",
    "LoadedNetwork",
    "NetworkCard",
    "NetworkValues",
    "build_inputs",
    "folds_of",
    "load_network",
    "load_section",
    "parse_card",
    "run_network",
    "sha256_of",
]
