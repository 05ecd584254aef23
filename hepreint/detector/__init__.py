"""Detector response as data: cards, efficiencies, smearing, flavour tagging, triggers.

``card_for(name)`` gives the card a run applies (None for ``truth`` and ``none``); the engine's
detector stage (:mod:`hepreint.engine.stages`) calls :func:`respond` per collection.
"""

from __future__ import annotations

from functools import cache

from hepreint.detector.card import NONE, TRUTH, DetectorCard, list_cards, load_card
from hepreint.detector.response import perfect_tags, respond, tag_prefix
from hepreint.detector.truth_tagging import Requirement

__all__ = [
    "NONE",
    "TRUTH",
    "DetectorCard",
    "Requirement",
    "card_for",
    "list_cards",
    "load_card",
    "perfect_tags",
    "respond",
    "tag_prefix",
]


@cache
def card_for(name: str) -> DetectorCard | None:
    """The card of ``name`` loaded once per process; None for truth level and ``none``."""
    if name in (TRUTH, NONE):
        return None
    return load_card(name)
