"""``python -m hepreint`` is the ``hepreint`` command."""

from __future__ import annotations

from .cli import main

main()
