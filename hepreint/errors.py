"""One exception hierarchy, so the CLI can turn any expected failure into one line and exit 2.

Every message names the file, the place (event number, byte offset, YAML path and line) and the
fix; the CLI prints ``str(exc)`` and nothing else, so the message must stand alone.
"""

from __future__ import annotations


class HepreintError(Exception):
    """Base of every error hepreint raises on purpose (bad input, bad spec, ...)."""


class SpecError(HepreintError):
    """An analysis, detector card or network card that does not validate or compile."""


class InputError(HepreintError):
    """An event file that is missing, empty, truncated, corrupt or holds non-finite values."""

    def __init__(self, message: str, *, events_read: int = 0) -> None:
        super().__init__(message)
        #: how many events were read (and may already be processed) before the problem
        self.events_read = events_read


class NetworkError(HepreintError):
    """An ONNX network whose inputs, outputs or test vectors disagree with its card."""


class LikelihoodError(HepreintError):
    """A likelihood workspace that does not validate or cannot be patched/fitted."""
