"""The one error ``hepreint validate`` adds, so the CLI can still print one line and exit 2."""

from __future__ import annotations

from hepreint.errors import HepreintError


class ValidationError(HepreintError):
    """A reference file, a table mapping or a results file that cannot be compared."""
