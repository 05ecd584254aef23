"""ONNX sessions: opened once per network file and process, checked before the first event.

A worker process opens each file the first time it needs it and keeps the session for every
later batch (creating one costs milliseconds to seconds; a batch's inference, less). The sha256
is checked before the file is opened, the graph against the card and the test vectors right
after, so a tampered or mismatched network never sees an event.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hepreint.errors import NetworkError
from hepreint.networks.card import NetworkCard, check_graph, check_test_vectors, sha256_of

#: (resolved path, sha256) -> session, per process
_SESSIONS: dict[tuple[str, str], Any] = {}

#: threads per session: one by default, so that process workers (one per core) do not
#: oversubscribe the machine; HEPREINT_ONNX_THREADS overrides it
THREADS_ENV = "HEPREINT_ONNX_THREADS"


def _open(path: str, sha: str) -> Any:
    key = (path, sha)
    if key not in _SESSIONS:
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = int(os.environ.get(THREADS_ENV, "1"))
        opts.inter_op_num_threads = 1
        opts.log_severity_level = 3
        _SESSIONS[key] = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return _SESSIONS[key]


@dataclass(frozen=True)
class LoadedNetwork:
    """A card with its checked sessions, one per fold."""

    card: NetworkCard
    sessions: tuple[Any, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("a LoadedNetwork holds onnxruntime sessions: send its card instead")


def load_network(card: NetworkCard) -> LoadedNetwork:
    """The card's ONNX files, sha256-checked, opened (once per process) and tested."""
    sessions = []
    for fold, (file, sha) in enumerate(card.onnx_files()):
        if not file.is_file():
            raise NetworkError(
                f"{card.path}: ONNX file {file.name} is missing; rebuild it with the recipe "
                f"{(card.data.get('provenance') or {}).get('recipe', '(models/README.md)')}"
            )
        have = sha256_of(file)
        if have != sha:
            raise NetworkError(
                f"{card.path}: {file.name} has sha256 {have[:12]}..., the card records "
                f"{sha[:12]}...: the file was changed or replaced; restore it or rerun the recipe"
            )
        try:
            session = _open(str(file.resolve()), sha)
        except Exception as exc:  # onnxruntime raises its own types for corrupt graphs
            raise NetworkError(
                f"{card.path}: {file.name} is not a valid ONNX graph ({exc}); rerun the recipe"
            ) from None
        check_graph(card, fold, session)
        sessions.append(session)
    check_test_vectors(card, sessions)
    return LoadedNetwork(card, tuple(sessions))
