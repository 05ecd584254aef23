"""``python -m hepreint`` is the ``hepreint`` command."""

from __future__ import annotations

from hepreint.cli import main

main()
