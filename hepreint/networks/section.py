"""The ``networks:`` section of an analysis: each name's card, parsed and (by default) checked.

An analysis writes ``networks: {ttH_class: {card: networks/ttH_class.yaml, source: ...}}``; the
name is what its expressions use (``ttH_class.ttH``, ``argmax(ttH_class)``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hepreint.analysis import spec as _spec
from hepreint.networks.card import NetworkCard, parse_card
from hepreint.networks.session import load_network


def load_section(
    directory: Path,
    section: Mapping[str, Any] | None,
    collections: set[str],
    parameters: Mapping[str, float],
    *,
    check: bool = True,
) -> dict[str, NetworkCard]:
    """Cards by the analysis' names for them; with ``check``, each ONNX file is opened and
    tested now (sha256, graph, test vectors), before any event is read."""
    out: dict[str, NetworkCard] = {}
    for name, spec in (section or {}).items():
        card = parse_card(directory / spec["card"], collections, parameters)
        if check:
            load_network(card)
        out[name] = card
    return out


_spec.NETWORK_LOADER[:] = [load_section]  # the analysis loader reads networks: through this
