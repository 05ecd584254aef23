"""hepreint: preserved LHC analyses for reinterpretation."""

from __future__ import annotations

__version__ = "0.1.0"
